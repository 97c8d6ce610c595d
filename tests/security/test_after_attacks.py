"""After a hostile file, a correct one still gets 100/100, through the command line and
through the service (a real worker), and the host's device nodes are as they were."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from common.contracts import GradingResult

HERE = Path(__file__).resolve().parent
HOSTILE = HERE / "hostile_host.py"
CORRECT = HERE.parent / "fixtures" / "submissions" / "numpy_correct.py"
NODES = ("/dev/null", "/dev/full", "/dev/zero")


def node_state() -> dict[str, tuple]:
    return {p: (os.stat(p).st_mode, os.stat(p).st_uid, tuple(os.listxattr(p))) for p in NODES}


def cli_grade(path: Path) -> GradingResult:
    argv = [sys.executable, "-m", "autograder.cli", "grade", "--assignment", "lecture4-numpy"]
    run = subprocess.run([*argv, "--json", str(path)], capture_output=True, text=True,
                         timeout=300, check=False)  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    return GradingResult.model_validate_json(run.stdout)


@pytest.mark.usefixtures("sandbox")  # skips where the hardened sandbox cannot run
def test_through_the_cli_a_hostile_file_changes_nothing_and_the_next_grades_in_full():
    before = node_state()
    hostile = cli_grade(HOSTILE)
    assert (hostile.status, hostile.score) == ("graded", 100)  # its attacks all failed
    assert node_state() == before
    assert cli_grade(CORRECT).score == 100


def wait_final(client, auth, sid: str) -> dict:
    deadline = time.monotonic() + 300
    while True:
        body = client.get(f"/api/v1/submissions/{sid}?wait=30", headers=auth).get_json()
        if body["status"] not in ("queued", "running") or time.monotonic() > deadline:
            return body


def submit(client, auth, path: Path, student: str) -> str:
    with path.open("rb") as handle:
        data = {"assignment": "lecture4-numpy", "student_id": student, "file": (handle, "hw.py")}
        accepted = client.post("/api/v1/submissions", headers=auth, data=data)
    assert accepted.status_code == 202, accepted.get_data(as_text=True)
    return accepted.get_json()["id"]


@pytest.mark.usefixtures("sandbox", "celery_worker")
def test_through_the_service_the_next_submission_after_hostile_ones_grades_in_full(
    make_client, admin_auth
):
    client = make_client()
    before = node_state()
    hostile = [submit(client, admin_auth, HOSTILE, f"mallory-{i}") for i in range(2)]
    correct = submit(client, admin_auth, CORRECT, "alice")
    for sid in hostile:
        body = wait_final(client, admin_auth, sid)
        assert (body["status"], body["score"]) == ("graded", 100)
    body = wait_final(client, admin_auth, correct)
    assert (body["status"], body["score"], body["attempts"]) == ("graded", 100, 1)
    assert node_state() == before
