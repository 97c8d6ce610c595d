#!/usr/bin/env bash
# shellcheck disable=SC2317  # the step functions run through `bash -c` (export -f)
# The GPU check of issue 7, prepared for a machine with an NVIDIA GPU, Python 3.12, CUDA torch
# and numpy, but none of this project's other dependencies and no network:
#
#   bench/fetch_gpu_wheels.sh           # here, once: the wheels it needs, into .whl/
#   bench/gpu_check.sh                  # there, from the repository root, with .whl/ carried
#   bench/gpu_check.sh --device cpu     # a dry run here: same steps on the CPU, web stack hidden
#
# Steps: (1) what the machine is and which sandbox runner it gets; (2) the gpu-marked tests
# (--noconftest: tests/conftest.py needs the web stack; the dry run only collects them);
# (3) `autograder grade --device cuda` of the correct and the device-buggy torch submission;
# (4) lecture4-torch grading latency, warm sandbox (20) next to fresh processes (5), in
# this one run (bench/gpu_latency.py). Writes steps.tsv, env.txt, pytest.log,
# grade_*.json, latency.json and summary.md under $OUT (a temporary folder if unset) and
# prints the summary. Each step has its own time limit; all of them together stay under
# 8 minutes. Exit status: 0 only if every step passed. GPU_CHECK_WARM / GPU_CHECK_FRESH
# change the latency counts (20 / 5), PYTHON the interpreter (python3).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
device=cuda
if [ "${1:-}" = "--device" ]; then device="${2:?--device cpu|cuda}"; fi
out="${OUT:-$(mktemp -d /tmp/gpu-check.XXXXXX)}"
mkdir -p "$out"
python="${PYTHON:-python3}"
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
: >"$out/steps.tsv"
failed=0

step() {  # step NAME LIMIT_S COMMAND...: run it under a time limit, record status and time
    local name="$1" limit="$2" started status
    shift 2
    echo "== $name"
    started=$(date +%s)
    timeout --kill-after=10 "$limit" bash -c '"$@"' "$name" "$@"  # functions too (export -f)
    status=$?
    printf '%s\t%s\t%s\n' "$name" "$status" "$(($(date +%s) - started))" >>"$out/steps.tsv"
    [ "$status" -eq 0 ] || failed=1
    return 0
}

site=""
if ls .whl/*.whl >/dev/null 2>&1; then
    site=/tmp/gpu-check-site
    "$python" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target "$site" .whl/*.whl || { echo "cannot install .whl/*.whl" >&2; exit 1; }
fi
export PYTHONPATH="$PWD${site:+:$site}${PYTHONPATH:+:$PYTHONPATH}"
if [ "$device" = cpu ]; then
    export PYTHONPATH="$PWD/bench/no_web_stack:$PYTHONPATH"
fi

environment() {
    { command -v nvidia-smi >/dev/null && nvidia-smi -L && nvidia-smi \
        --query-gpu=name,memory.total,driver_version --format=csv,noheader; uname -r
      "$python" - <<'PY'
import sys
import numpy, torch
from worker.sandbox.host.bwrap_runner import BwrapRunner
from worker.sandbox.host.factory import make_runner
from worker.sandbox.host.gpu import cuda_problem
from worker.sandbox.host.nvml import default_reader
print("python", sys.version.split()[0], "numpy", numpy.__version__, "torch", torch.__version__,
      "cuda build", torch.version.cuda)
print("cuda_problem:", cuda_problem())
print("hardened sandbox:", BwrapRunner.unsupported_reason() or "available")
print("runner (auto):", type(make_runner("auto")).__name__)
reader = default_reader()
print("GPU memory reader:", type(reader).__name__ if reader else None)
PY
    } 2>&1 | tee "$out/env.txt"
    return "${PIPESTATUS[0]}"
}

gpu_tests() {
    local files collect=()
    files=$(grep -l "mark.gpu" -r tests --include='test_*.py' | sort)
    [ "$device" = cpu ] && collect=(--collect-only)
    # shellcheck disable=SC2086  # one argument per file
    "$python" -m pytest -q -rs -p no:cacheprovider --noconftest -m gpu "${collect[@]}" $files \
        2>&1 | tee "$out/pytest.log"
    return "${PIPESTATUS[0]}"
}

grade() {  # grade FIXTURE: the CLI as an operator runs it; keep its JSON
    local name="$1"
    "$python" -m autograder.cli grade --assignment lecture4-torch --device "$device" --json \
        "tests/fixtures/submissions/$name" >"$out/grade_$name.json"
    local status=$?
    "$python" -c "import json, sys; r = json.load(open(sys.argv[1]))
print(sys.argv[2], r['status'], r['score'], '/', r['max_score'], 'on', r['device'])
for t in r['tests']:
    if not t['passed']: print('  ', t['name'], '|', t.get('diagnosis'), '|', t['message'][:160])
" "$out/grade_$name.json" "$name" 2>/dev/null | head -20
    return "$status"
}

export out python device
export -f environment gpu_tests grade
step environment 45 environment
step gpu-tests 150 gpu_tests
step grade-correct 45 grade torch_correct.py
step grade-cpu-tensors 45 grade torch_cpu_tensors.py
step latency 170 "$python" -m bench.gpu_latency --device "$device" \
    --warm "${GPU_CHECK_WARM:-20}" --fresh "${GPU_CHECK_FRESH:-5}" --json "$out/latency.json"
"$python" -m bench.gpu_summary "$out"
echo "(files in $out)"
exit "$failed"
