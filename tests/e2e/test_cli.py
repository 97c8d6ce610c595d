"""The ``autograder`` command line, run as a subprocess on real files with the real sandbox."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from common.contracts import GradingResult

SUBMISSIONS = Path(__file__).resolve().parents[1] / "fixtures" / "submissions"
SCRIPT = Path(sys.executable).with_name("autograder")


def autograder(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the installed ``autograder`` command (``python -m autograder.cli`` if absent)."""
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "autograder.cli"]
    return subprocess.run(
        [*command, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        check=False,
    )


def grade_json(assignment: str, path: Path) -> GradingResult:
    run = autograder("grade", "--assignment", assignment, "--json", path)
    assert run.returncode == 0, run.stderr
    return GradingResult.model_validate_json(run.stdout)


def test_grade_prints_a_full_score_report_for_a_correct_numpy_file():
    run = autograder("grade", "--assignment", "lecture4-numpy", SUBMISSIONS / "numpy_correct.py")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("lecture4-numpy (numpy_correct.py, cpu): 100/100\n")
    assert "ok train_sgd" in run.stdout and "FAIL" not in run.stdout


def test_grade_json_of_a_correct_notebook_is_a_graded_result():
    result = grade_json("lecture4-numpy", SUBMISSIONS / "numpy_correct.ipynb")
    assert (result.status, result.score, result.max_score) == ("graded", 100, 100)
    assert result.versions["numpy"] and result.duration_ms > 0


def test_grade_of_a_file_with_a_syntax_error_exits_0_with_a_not_gradable_result():
    result = grade_json("lecture4-numpy", SUBMISSIONS / "numpy_syntax_error.py")
    assert result.status == "not_gradable" and result.error.kind == "syntax_error"
    assert result.score == 0 and result.tests and not any(t.passed for t in result.tests)


def test_grade_with_a_forbidden_call_names_it():
    result = grade_json("lecture4-numpy", SUBMISSIONS / "numpy_forbidden_call.py")
    failed = [t for t in result.tests if t.diagnosis == "forbidden_call"]
    assert failed and "scipy.special.logsumexp" in failed[0].message


@pytest.mark.parametrize(
    "args, words",
    [
        (["--assignment", "no-such-pack", "x.py"], "unknown assignment 'no-such-pack'"),
        (["--assignment", "lecture4-numpy", "/no/such/file.py"], "no such file"),
        (["--assignment", "lecture4-numpy", "--device", "cuda", "x.py"], "not cuda"),
        (["--assignment", "lecture4-numpy", "x.txt"], "submit a .py file or a .ipynb notebook"),
    ],
)
def test_grade_usage_errors_exit_2_with_one_line_on_stderr(args, words, tmp_path):
    (tmp_path / "x.py").write_text("x = 1\n")
    (tmp_path / "x.txt").write_text("x = 1\n")  # the API refuses it too (422)
    run = autograder("grade", *args, cwd=tmp_path)
    assert run.returncode == 2 and run.stdout == ""
    assert len(run.stderr.strip().splitlines()) == 1 and words in run.stderr


def test_assignments_lists_both_lecture4_packs():
    run = autograder("assignments")
    assert run.returncode == 0
    lines = run.stdout.splitlines()
    assert lines[0].split()[:4] == ["ID", "RUNTIME", "DEVICES", "POINTS"]
    assert any(line.split()[:4] == ["lecture4-numpy", "numpy", "cpu", "100"] for line in lines)
    assert any(line.split()[:4] == ["lecture4-torch", "torch", "cpu,cuda", "100"] for line in lines)


@pytest.mark.parametrize("suffix", [".py", ".ipynb"])
def test_starter_file_grades_0_with_every_function_not_implemented(tmp_path, suffix):
    run = autograder("starter", "lecture4-numpy", "--out", tmp_path)
    assert run.returncode == 0, run.stderr
    result = grade_json("lecture4-numpy", tmp_path / f"lecture4-numpy{suffix}")
    assert (result.status, result.score, result.max_score) == ("graded", 0, 100)
    assert {t.diagnosis for t in result.tests} == {"not_implemented"}
    assert {t.function for t in result.tests} == {
        "softmax",
        "quality",
        "cross_entropy",
        "cross_entropy_grad",
        "sgd_step",
        "lr_schedule",
        "train_sgd",
    }


def test_lab01_starter_writes_the_notebook_and_utils_and_is_not_gradable_as_given(tmp_path):
    run = autograder("starter", "lab01-cross-entropy", "--out", tmp_path)
    assert run.returncode == 0, run.stderr
    names = {"lab01-cross-entropy.ipynb", "lab01-cross-entropy.py", "utils.py"}
    assert {p.name for p in tmp_path.iterdir()} == names
    assert "def display_scores(scores):" in (tmp_path / "utils.py").read_text()
    result = grade_json("lab01-cross-entropy", tmp_path / "lab01-cross-entropy.ipynb")
    assert (result.status, result.score, result.max_score) == ("not_gradable", 0, 100)
    assert (result.error.kind, result.error.cell, result.error.line) == ("syntax_error", 2, 1)
    assert "cell 3, line 1" in result.error.message


def test_starter_refuses_to_overwrite_a_students_work(tmp_path):
    (tmp_path / "lecture4-numpy.py").write_text("# my work\n")
    run = autograder("starter", "lecture4-numpy", "--out", tmp_path)
    assert run.returncode == 2 and "--force" in run.stderr
    assert (tmp_path / "lecture4-numpy.py").read_text() == "# my work\n"


def test_grade_on_cuda_without_a_cuda_device_is_a_usage_error():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    run = autograder(
        "grade",
        "--assignment",
        "lecture4-torch",
        "--device",
        "cuda",
        SUBMISSIONS / "torch_correct.py",
    )
    assert run.returncode == 2 and "no CUDA device" in run.stderr and run.stdout == ""


@pytest.mark.slow  # the torch zygote imports torch: seconds
def test_grade_of_a_correct_torch_file_on_the_cpu():
    result = grade_json("lecture4-torch", SUBMISSIONS / "torch_correct.py")
    assert (result.status, result.score) == ("graded", 100)
    assert result.versions["torch"]


def test_grade_json_matches_the_published_schema():
    import jsonschema

    schema_path = Path(__file__).resolve().parents[2] / "docs" / "result.schema.json"
    run = autograder(
        "grade", "--assignment", "lecture4-numpy", "--json", SUBMISSIONS / "numpy_mutation.py"
    )
    jsonschema.validate(json.loads(run.stdout), json.loads(schema_path.read_text()))
