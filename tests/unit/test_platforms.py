"""Gradescope and PrairieLearn: the results converters against the platforms' schemas,
the search for the student's file, the battery digest and the sandbox's uid."""

from __future__ import annotations

import jsonschema
import pytest
from platform_checks import schema, validate

from autograder.platforms.config import battery_digest
from autograder.platforms.gradescope import gradescope_results
from autograder.platforms.prairielearn import to_prairielearn
from autograder.platforms.submission import MissingSubmissionError, find_submission
from common.contracts import GradingError, GradingResult, GradingStatus, TestResult
from reference.packs import get_pack
from worker.sandbox.host.api import SandboxRequest
from worker.sandbox.host.process_runner import ProcessRunner


def case(name: str, passed: bool, visibility: str, message: str = "") -> TestResult:
    return TestResult(
        name=name,
        function=name.split(":")[0],
        passed=passed,
        score=5 if passed else 0,
        max_score=5,
        message=message,
        visibility=visibility,
    )


GRADED = GradingResult(
    assignment="lecture4-numpy",
    status=GradingStatus.GRADED,
    score=5,
    max_score=10,
    duration_ms=1500,
    output="hello\n",
    tests=[
        case("softmax: small", True, "visible"),
        case("softmax: big", False, "hidden", "softmax returned nan: subtract the row max"),
    ],
)
SYNTAX = GradingError(kind="syntax_error", message="expected ':'", line=36)
NOT_GRADABLE = GRADED.model_copy(
    update=dict(status=GradingStatus.NOT_GRADABLE, score=0, error=SYNTAX, tests=[])
)
FAILED = GRADED.model_copy(update=dict(status=GradingStatus.FAILED, score=0, tests=[]))


@pytest.mark.parametrize("platform", ["gradescope", "prairielearn"])
def test_schemas_are_valid_json_schemas(platform):
    jsonschema.Draft202012Validator.check_schema(schema(platform))


@pytest.mark.parametrize(
    ("platform", "document"),
    [
        ("gradescope", {"score": 1, "tests": [], "visibility": "secret"}),
        ("gradescope", {"tests": [{"name": "no score"}]}),
        ("gradescope", {"score": 1, "colour": "red"}),
        ("gradescope", {"score": 1, "tests": [{"score": 1, "status": "ok"}]}),
        ("prairielearn", {"score": 1.5}),
        ("prairielearn", {"gradable": True}),
        ("prairielearn", {"gradable": False}),
        ("prairielearn", {"score": 1, "tests": [{"name": "t", "points": 1}]}),
    ],
)
def test_schemas_reject_what_the_platforms_would_not_take(platform, document):
    with pytest.raises(jsonschema.ValidationError):
        validate(platform, document)


def test_gradescope_results_hide_hidden_cases_as_asked_and_keep_stdout_to_staff():
    for hidden in ("after_due_date", "hidden", "after_published"):
        document = gradescope_results(GRADED, hidden)
        validate("gradescope", document)
        assert [t["visibility"] for t in document["tests"]] == ["visible", hidden]
    assert document["stdout_visibility"] == "hidden"
    assert document["tests"][1]["output"] == "softmax returned nan: subtract the row max"
    validate("gradescope", gradescope_results(NOT_GRADABLE, "after_due_date"))


def test_prairielearn_score_is_a_fraction_and_tests_split_message_and_inputs():
    graded = GRADED.model_copy(
        update={"tests": [*GRADED.tests, case("quality: q", False, "visible", "bad\ninputs: N=5")]}
    )
    document = to_prairielearn(graded)
    validate("prairielearn", document)
    assert document["gradable"] is True and document["score"] == pytest.approx(5 / 10)
    assert document["output"] == "hello\n"
    visible_failure = document["tests"][2]
    assert (visible_failure["message"], visible_failure["output"]) == ("bad", "inputs: N=5")
    assert document["tests"][1]["description"] == "softmax, hidden case"
    assert (document["tests"][0]["points"], document["tests"][0]["max_points"]) == (5, 5)


def test_prairielearn_not_gradable_file_costs_no_attempt_and_says_where():
    document = to_prairielearn(NOT_GRADABLE)
    validate("prairielearn", document)
    assert document["gradable"] is False
    assert document["format_errors"] == ["syntax error (line 36): expected ':'"]


def test_prairielearn_grader_failure_is_not_gradable_and_says_it_is_ours():
    document = to_prairielearn(FAILED)
    validate("prairielearn", document)
    assert document["gradable"] is False and "not your fault" in document["message"]


def test_submission_prefers_the_assignments_file_name(tmp_path):
    (tmp_path / "notes.py").write_text("x = 1\n")
    (tmp_path / "lecture4-numpy.py").write_text("x = 2\n")
    assert find_submission(tmp_path, "lecture4-numpy", 1000).name == "lecture4-numpy.py"


def test_submission_takes_the_only_python_file_anywhere_below(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "mine.ipynb").write_text("{}")
    (tmp_path / "README.txt").write_text("hi")
    (tmp_path / ".hidden.py").write_text("")
    assert find_submission(tmp_path, "lecture4-numpy", 1000) == tmp_path / "sub" / "mine.ipynb"


@pytest.mark.parametrize(
    ("files", "words"),
    [
        ({}, "no .py or .ipynb file"),
        ({"a.py": "", "b.py": ""}, "2 Python files were submitted (a.py, b.py)"),
        ({"lecture4-numpy.py": "x" * 2000}, "more than the 1000 accepted"),
    ],
)
def test_submission_problems_are_sentences_for_the_student(tmp_path, files, words):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(MissingSubmissionError, match=words.replace("(", r"\(").replace(")", r"\)")):
        find_submission(tmp_path, "lecture4-numpy", 1000)


def test_submission_never_follows_a_link(tmp_path):
    (tmp_path / "lecture4-numpy.py").symlink_to("/etc/passwd")
    with pytest.raises(MissingSubmissionError):
        find_submission(tmp_path, "lecture4-numpy", 10_000)


def test_battery_digest_is_stable_and_tells_packs_apart():
    numpy, torch = get_pack("lecture4-numpy"), get_pack("lecture4-torch")
    assert battery_digest(numpy) == battery_digest(numpy)
    assert battery_digest(numpy) != battery_digest(torch)


def test_process_runner_with_its_own_uid_starts_the_zygote_as_that_uid_without_groups():
    runner = ProcessRunner(uid=65534)
    zygote = runner.make_zygote("numpy", "cpu")
    assert zygote._popen == {"user": 65534, "group": 65534, "extra_groups": [], "cwd": "/"}
    request = SandboxRequest.__new__(SandboxRequest)
    assert runner.confinement(request) == {"rlimits": {"processes": 256}}
    assert ProcessRunner().confinement(request) == {}
