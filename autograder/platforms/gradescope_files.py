"""The scripts and README of the Gradescope bundle (``string.Template``: ``$name``)."""

from __future__ import annotations

from string import Template

VENV = "/opt/autograder-venv"
TORCH = "torch==2.13.0"
TORCH_INDEX_URL = "https://download.pytorch.org/whl/cpu"

SETUP_SH = Template(r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image (Ubuntu 22.04).
# It installs Python 3.11, the CPU build of torch and the autograder package (with the
# $assignment pack) from this bundle into $venv.
#
# TORCH_INDEX_URL (default $torch_index) is where torch comes from; set it empty to take
# torch from PIP_FIND_LINKS or PyPI instead (our CI does, with a local copy of the wheel).
set -euo pipefail
here=$$(cd "$$(dirname "$${BASH_SOURCE[0]}")" && pwd)
torch_index=$${TORCH_INDEX_URL-$torch_index}
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1

if ! python3.11 -c 'import ensurepip, venv' 2>/dev/null; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        python3.11 python3.11-venv ca-certificates
fi
python3.11 -m venv $venv
$venv/bin/pip install $${torch_index:+--index-url "$$torch_index"} "$torch"
$venv/bin/pip install "$$here/autograder-src"
# The grader runs as root and starts the sandbox as 'nobody': it must be able to read
# the interpreter and the packages.
chmod -R a+rX $venv
$venv/bin/autograder assignments | awk '$$1 == "$assignment" {ok = 1} END {exit !ok}'
echo "autograder installed for $assignment"
""")

RUN_AUTOGRADER = Template(r"""#!/usr/bin/env bash
# Gradescope runs this once per submission, as root, in /autograder: grade the file in
# /autograder/submission and write /autograder/results/results.json.
exec $venv/bin/autograder platform-grade gradescope
""")

README = Template("""# Gradescope autograder: $assignment

Made by `autograder export-gradescope $assignment`. Upload this zip as the assignment's
autograder (Configure Autograder, "Zip file upload", base image Ubuntu 22.04).

- `setup.sh` installs Python 3.11, `$torch` (CPU build) and the autograder package
  (`autograder-src/`, with the `$assignment` pack) into `$venv`.
- `run_autograder` grades the student's `$assignment.py` (or `.ipynb`, or the only Python
  file submitted) and writes `/autograder/results/results.json`.
- `assignment.json` holds the choices below.

## Sandbox mode: `$sandbox`

Gradescope runs one container per submission, as root, usually without user namespaces,
so bubblewrap (our full sandbox) cannot start there. Rather than let `auto` fall back
silently, this bundle names `process`: the student's code runs in a separate child
process with resource limits and time limits, started as uid 65534 (`nobody`) while the
grader stays root. So the student's code cannot read, trace or signal the grader, nor
write `results.json`; expected values are computed in the grader, never in the child.
It has no network namespace, seccomp filter or Landlock rules; the container (thrown
away after each submission) is the outer wall.

## Hidden cases: `$hidden`

Cases the pack marks hidden get Gradescope visibility `$hidden`. Their messages never
show inputs or expected values. See docs/platforms.md in the autograder's repository.
""")
