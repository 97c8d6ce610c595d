"""The exports and ``autograder platform-grade``, run as commands on this machine.

Each test lays a submission out as the platform does (under a temporary root), runs the
grading entry the export calls, and holds results.json to the platform's schema and to
what the file deserves. tests/e2e/test_platform_containers.py does the same in the
platforms' containers.
"""

from __future__ import annotations

import json
import shutil
import stat
import zipfile
from pathlib import Path

import pytest
from platform_checks import FILES, SUBMISSIONS, check_gradescope, check_prairielearn
from test_cli import autograder

from reference.packs import get_pack

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gradescope") / "bundle.zip"
    run = autograder("export-gradescope", "lecture4-numpy", "-o", out)
    assert run.returncode == 0, run.stderr
    return out


@pytest.fixture(scope="module")
def question(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("prairielearn") / "q"
    run = autograder("export-prairielearn", "lecture4-numpy", "-o", out, "--image", "x/y:1")
    assert run.returncode == 0, run.stderr
    return out


def test_bundle_has_gradescopes_files_at_its_root_with_executable_scripts(bundle):
    with zipfile.ZipFile(bundle) as archive:
        infos = {info.filename: info for info in archive.infolist()}
        config = json.loads(archive.read("assignment.json"))
        setup = archive.read("setup.sh").decode()
    for script in ("setup.sh", "run_autograder"):
        assert stat.S_IMODE(infos[script].external_attr >> 16) == 0o755
    assert "autograder-src/pyproject.toml" in infos
    assert "autograder-src/reference/packs/lecture4/README.md" in infos
    assert not [name for name in infos if "__pycache__" in name]
    assert config["assignment"] == "lecture4-numpy" and config["sandbox"] == "process"
    assert config["hidden_visibility"] == "after_due_date"
    assert '"torch==2.13.0"' in setup and "https://download.pytorch.org/whl/cpu" in setup


def test_question_names_the_image_the_entrypoint_and_the_upload(question):
    info = json.loads((question / "info.json").read_text())
    options = info["externalGradingOptions"]
    assert info["gradingMethod"] == "External" and options["enabled"] is True
    assert options["image"] == "x/y:1" and options["timeout"] == 90  # lecture4: 30 s + 60 s
    assert options["entrypoint"].endswith("autograder platform-grade prairielearn")
    html = (question / "question.html").read_text()
    assert '<pl-file-upload file-names="lecture4-numpy.py">' in html
    assert "<pl-external-grader-results>" in html
    assert (question / "clientFilesQuestion" / "lecture4-numpy.py").read_text().startswith("#")
    assert json.loads((question / "tests" / "assignment.json").read_text())["assignment"] == (
        "lecture4-numpy"
    )


def test_exports_refuse_to_overwrite_and_unknown_assignments(bundle, question):
    assert autograder("export-gradescope", "lecture4-numpy", "-o", bundle).returncode == 2
    assert autograder("export-prairielearn", "lecture4-numpy", "-o", question).returncode == 2
    run = autograder("export-gradescope", "no-such-pack", "-o", bundle.with_name("x.zip"))
    assert run.returncode == 2 and "no-such-pack" in run.stderr


def gradescope_root(tmp_path: Path, bundle: Path, kind: str | None) -> Path:
    source = tmp_path / "autograder" / "source"
    with zipfile.ZipFile(bundle) as archive:
        archive.extract("assignment.json", source)
    (tmp_path / "autograder" / "submission").mkdir()
    if kind is not None:
        shutil.copy(SUBMISSIONS / FILES[kind], tmp_path / "autograder" / "submission")
    return tmp_path


@pytest.mark.parametrize("kind", sorted(FILES))
def test_gradescope_results_for_each_file(tmp_path, bundle, kind):
    root = gradescope_root(tmp_path, bundle, kind)
    run = autograder("platform-grade", "gradescope", "--root", root)
    assert run.returncode == 0, run.stderr
    check_gradescope(json.loads((root / "autograder/results/results.json").read_text()), kind)


@pytest.mark.parametrize("kind", sorted(FILES))
def test_prairielearn_results_for_each_file(tmp_path, question, kind):
    shutil.copytree(question / "tests", tmp_path / "grade" / "tests")
    student = tmp_path / "grade" / "student"
    student.mkdir()
    shutil.copy(SUBMISSIONS / FILES[kind], student / "lecture4-numpy.py")
    run = autograder("platform-grade", "prairielearn", "--root", tmp_path)
    assert run.returncode == 0, run.stderr
    check_prairielearn(json.loads((tmp_path / "grade/results/results.json").read_text()), kind)


def test_no_submitted_file_is_not_gradable_with_every_test_listed(tmp_path, bundle):
    root = gradescope_root(tmp_path, bundle, None)
    run = autograder("platform-grade", "gradescope", "--root", root)
    assert run.returncode == 0, run.stderr
    document = json.loads((root / "autograder/results/results.json").read_text())
    cases = get_pack("lecture4-numpy").cases("cpu")
    assert document["score"] == 0 and len(document["tests"]) == len(cases) == 43
    assert "no .py or .ipynb file was submitted" in document["output"]


def test_a_question_exported_for_another_battery_is_refused_as_our_failure(tmp_path, question):
    shutil.copytree(question / "tests", tmp_path / "grade" / "tests")
    config = tmp_path / "grade" / "tests" / "assignment.json"
    config.write_text(config.read_text().replace('"battery": "', '"battery": "0'))
    (tmp_path / "grade" / "student").mkdir()
    run = autograder("platform-grade", "prairielearn", "--root", tmp_path)
    assert run.returncode == 1 and "another version of lecture4-numpy" in run.stderr
    assert not (tmp_path / "grade" / "results").exists()
