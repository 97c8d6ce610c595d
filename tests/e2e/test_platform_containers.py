"""The Gradescope bundle and the PrairieLearn image, run in containers as the platforms run
them (scripts/docker-platforms.sh builds the images and runs this file).

Gradescope: the bundle installed by its own setup.sh in a container laid out like
Gradescope's (docker/gradescope-test.Dockerfile), run_autograder run as root. PrairieLearn:
the job folder (mode 0700) mounted at /grade, the question's entrypoint, no network.
Skipped unless AUTOGRADER_GRADESCOPE_IMAGE and AUTOGRADER_PRAIRIELEARN_IMAGE name the images.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from platform_checks import FILES, SUBMISSIONS, check_gradescope, check_prairielearn
from test_cli import autograder

GRADESCOPE = os.environ.get("AUTOGRADER_GRADESCOPE_IMAGE")
PRAIRIELEARN = os.environ.get("AUTOGRADER_PRAIRIELEARN_IMAGE")
pytestmark = [
    pytest.mark.docker,
    pytest.mark.slow,
    pytest.mark.skipif(
        not (GRADESCOPE and PRAIRIELEARN), reason="images not named (scripts/docker-platforms.sh)"
    ),
]
# Student code that reports who it runs as and tries to write the results itself.
PROBE = """import os
print("uid", os.getuid())
try:
    open({path!r}, "w").write("{{}}")
    print("wrote the results")
except OSError as exc:
    print("cannot write the results:", type(exc).__name__)
"""


def docker_run(*args: str | Path) -> subprocess.CompletedProcess:
    command = ["docker", "run", "--rm", "--network", "none", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


def run_gradescope(tmp_path: Path, name: str, text: str) -> tuple[int, dict | None, str]:
    submission, results = tmp_path / "submission", tmp_path / "results"
    submission.mkdir()
    results.mkdir()
    (submission / name).write_text(text)
    run = docker_run(
        "-v", f"{submission}:/autograder/submission", "-v", f"{results}:/autograder/results",
        GRADESCOPE, "/autograder/run_autograder",
    )  # fmt: skip
    path = results / "results.json"
    return run.returncode, json.loads(path.read_text()) if path.exists() else None, run.stderr


@pytest.fixture(scope="module")
def question(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("question") / "q"
    run = autograder("export-prairielearn", "lecture4-numpy", "-o", out, "--image", PRAIRIELEARN)
    assert run.returncode == 0, run.stderr
    return out


def run_prairielearn(tmp_path: Path, question: Path, text: str) -> tuple[int, dict | None, str]:
    job = tmp_path / "job"
    shutil.copytree(question / "tests", job / "tests")
    (job / "student").mkdir()
    (job / "student" / "lecture4-numpy.py").write_text(text)
    job.chmod(0o700)  # as PrairieLearn's grader host makes it
    options = json.loads((question / "info.json").read_text())["externalGradingOptions"]
    entrypoint, *args = options["entrypoint"].split()
    run = docker_run("-v", f"{job}:/grade", "--entrypoint", entrypoint, options["image"], *args)
    path = job / "results" / "results.json"
    return run.returncode, json.loads(path.read_text()) if path.exists() else None, run.stderr


@pytest.mark.parametrize("kind", sorted(FILES))
def test_gradescope_bundle_grades_each_file_in_its_container(tmp_path, kind):
    text = (SUBMISSIONS / FILES[kind]).read_text()
    code, document, stderr = run_gradescope(tmp_path, "lecture4-numpy.py", text)
    assert code == 0 and document is not None, stderr
    check_gradescope(document, kind)


@pytest.mark.parametrize("kind", sorted(FILES))
def test_prairielearn_image_grades_each_file_as_prairielearn_runs_it(tmp_path, question, kind):
    code, document, stderr = run_prairielearn(
        tmp_path, question, (SUBMISSIONS / FILES[kind]).read_text()
    )
    assert code == 0 and document is not None, stderr
    check_prairielearn(document, kind)


def test_gradescope_student_code_runs_as_nobody_and_cannot_write_the_results(tmp_path):
    probe = PROBE.format(path="/autograder/results/results.json")
    code, document, stderr = run_gradescope(tmp_path, "probe.py", probe)
    assert code == 0 and document is not None, stderr
    assert "uid 65534" in document["output"]
    assert "cannot write the results: PermissionError" in document["output"]


def test_prairielearn_student_code_runs_as_nobody_and_cannot_reach_the_job(tmp_path, question):
    probe = PROBE.format(path="/grade/results/results.json")
    code, document, stderr = run_prairielearn(tmp_path, question, probe)
    assert code == 0 and document is not None, stderr
    assert "uid 65534" in document["output"]
    assert "cannot write the results: PermissionError" in document["output"]
