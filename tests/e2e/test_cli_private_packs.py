"""A course's own packs, outside the package, through the command line: a pack folder
named by AUTOGRADER_PACKS and an installed entry point are listed, graded and started."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PACKS = Path(__file__).resolve().parents[1] / "fixtures" / "packs"
COURSE, INSTALLED = PACKS / "course", PACKS / "installed"
RELU = "import numpy as np\n\n\ndef relu(x):\n    return np.maximum(x, 0)\n"


def autograder(*args: str | Path, packs: str = str(COURSE)) -> subprocess.CompletedProcess:
    """Run ``python -m autograder.cli`` with AUTOGRADER_PACKS and the installed pack on the path."""
    env = {**os.environ, "AUTOGRADER_PACKS": packs}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(INSTALLED), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "autograder.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_assignments_lists_the_folder_and_entry_point_packs_beside_the_built_in_ones():
    run = autograder("assignments")
    assert run.returncode == 0, run.stderr
    listed = {line.split()[0] for line in run.stdout.splitlines()[1:]}
    assert {"course-relu", "course-double", "course-inc", "lecture4-numpy"} <= listed


def test_grade_grades_a_folder_pack(tmp_path):
    (tmp_path / "relu.py").write_text(RELU)
    run = autograder("grade", "--assignment", "course-relu", tmp_path / "relu.py")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("course-relu (relu.py, cpu): 10/10\n")


def test_grade_grades_an_entry_point_pack(tmp_path):
    (tmp_path / "inc.py").write_text("def inc(x):\n    return x + 1\n")
    run = autograder("grade", "--assignment", "course-inc", tmp_path / "inc.py")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("course-inc (inc.py, cpu): 5/5\n")


def test_starter_writes_a_folder_packs_starter(tmp_path):
    run = autograder("starter", "course-double", "--out", tmp_path)
    assert run.returncode == 0, run.stderr
    assert "def double(x):" in (tmp_path / "course-double.py").read_text()


def test_a_missing_pack_folder_is_one_line_and_exit_2(tmp_path):
    grade = ["grade", "--assignment"]
    for args in (
        ["assignments"],
        [*grade, "course-relu", __file__],
        [*grade, "lecture4-numpy", __file__],
    ):
        run = autograder(*args, packs=str(tmp_path / "nope"))
        assert run.returncode == 2 and "Traceback" not in run.stderr
        assert len(run.stderr.strip().splitlines()) == 1 and "nope does not exist" in run.stderr


def test_a_worker_with_a_missing_pack_folder_refuses_to_start(tmp_path):
    run = autograder("worker", packs=str(tmp_path / "nope"))
    assert run.returncode == 78 and "Traceback" not in run.stderr
    assert "nope does not exist" in run.stderr
