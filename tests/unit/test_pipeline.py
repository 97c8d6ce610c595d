"""The grading pipeline with a fake sandbox runner and a tiny fake pack: scoring and messages."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pytest

from common.contracts import GradingStatus
from reference.pack import (
    Case,
    Forbidden,
    FunctionSpec,
    Observation,
    Pack,
    Tolerance,
    Verdict,
)
from worker.grading.pipeline import UnsupportedDeviceError, grade_pack, grade_source
from worker.sandbox.host.api import (
    ImportOutcome,
    SandboxInfrastructureError,
    SandboxReport,
    SandboxRequest,
)

CORRECT = "def double(x):\n    return 2 * x\n\ndef half(x):\n    return x / 2\n"
_ids = itertools.count()


def check_times(factor: float):
    def check(inputs, observation: Observation) -> Verdict:
        if np.allclose(observation.value, factor * inputs["x"]):
            return Verdict(True)
        return Verdict(False, "wrong value", "wrong_value")

    return check


def make_pack(check: Callable | None = None, builds: list | None = None) -> Pack:
    """Return a fresh pack: double (10 points: weights 1 visible + 3 hidden), half (5 points)."""

    def build(value):
        def _build():
            if builds is not None:
                builds.append(value)
            return {"x": np.full(3, value)}

        return _build

    def cases(device):
        return [
            Case("double: ones", "double", build(1.0), check or check_times(2), "x = ones(3)"),
            Case("double: big", "double", build(9.0), check_times(2), "x = 9s", "hidden", 3.0),
            Case("half: ones", "half", build(1.0), check_times(0.5), "x = ones(3)"),
        ]

    return Pack(
        id=f"fake-{next(_ids)}",  # each test its own id: the pipeline caches by pack id
        title="Fake",
        runtime="numpy",
        devices=("cpu",),
        functions=(
            FunctionSpec("double", 10, "double(x)", "Return 2 x.", time_limit_s=2),
            FunctionSpec("half", 5, "half(x)", "Return x / 2."),
        ),
        cases=cases,
        tolerances={"float64": Tolerance(1e-9, 1e-12)},
        forbidden=Forbidden(modules=("torch",), calls=("scipy.special.logsumexp",)),
    )


@dataclass
class FakeRunner:
    """Answers every call with ``observe[function]`` (default: the correct value)."""

    observe: dict[str, Observation] = field(default_factory=dict)
    imported: ImportOutcome = field(default_factory=lambda: ImportOutcome("ok", ("double", "half")))
    output: str = ""
    printed: str = ""  # what every call prints
    fail: Exception | None = None
    requests: list[SandboxRequest] = field(default_factory=list)

    def run(self, request: SandboxRequest) -> SandboxReport:
        self.requests.append(request)
        if self.fail:
            raise self.fail
        factors = {"double": 2.0, "half": 0.5}
        observations = {
            call.call_id: self.observe.get(
                call.function, Observation("ok", value=factors[call.function] * call.kwargs["x"])
            )
            for call in request.calls
        }
        observations = {k: replace(o, output=self.printed) for k, o in observations.items()}
        return SandboxReport(self.imported, observations, output=self.output)

    def close(self) -> None:
        pass


def grade(runner: FakeRunner, source: str = CORRECT, filename: str = "sub.py", pack=None, **kw):
    return grade_pack(pack or make_pack(), filename, source, runner=runner, **kw)


def by_name(result) -> dict:
    return {t.name: t for t in result.tests}


def test_correct_submission_gets_every_point_and_one_request_for_the_whole_file():
    runner = FakeRunner()
    result = grade(runner)
    assert (result.status, result.score, result.max_score) == (GradingStatus.GRADED, 15, 15)
    assert all(t.passed and t.message == "" for t in result.tests)
    assert len(runner.requests) == 1 and len(runner.requests[0].calls) == 3
    assert [c.first_line for c in runner.requests[0].chunks] == [1, 4]
    assert result.error is None and result.versions["numpy"] == np.__version__
    assert "torch" not in result.versions


def test_case_points_follow_the_weights_of_the_function_cases():
    wrong = make_pack(check=lambda inputs, obs: Verdict(False, "double is off", "wrong"))
    result = grade(FakeRunner(), pack=wrong)
    tests = by_name(result)
    assert (tests["double: ones"].max_score, tests["double: big"].max_score) == (2.5, 7.5)
    assert result.score == 12.5


def test_score_is_rounded_to_two_decimals():
    def fail(inputs, observation):
        return Verdict(False, "no")

    def cases(device):
        checks = (fail, check_times(2), check_times(2))
        return [Case(f"c{i}", "double", lambda: {"x": np.ones(2)}, checks[i], "") for i in range(3)]

    pack = replace(make_pack(), functions=make_pack().functions[:1], cases=cases)
    result = grade(FakeRunner(), pack=pack)
    # 10 points in hundredths: 3.34 + 3.33 + 3.33 (the leftover hundredth to the first case)
    assert [t.max_score for t in result.tests] == [3.34, 3.33, 3.33]
    assert (result.score, result.max_score) == (6.66, 10)


def test_statically_forbidden_call_fails_the_function_and_is_not_run():
    source = CORRECT + "import scipy.special as sp\ndef helper(x):\n    return sp.logsumexp(x)\n"
    source = source.replace("return 2 * x", "return 2 * x + 0 * helper(x)")
    runner = FakeRunner()
    result = grade(runner, source)
    double = by_name(result)["double: ones"]
    assert double.message.startswith(
        "double uses scipy.special.logsumexp, which is forbidden in fake-"
    )
    assert double.message.split("\n")[0].endswith(": write it by hand")
    assert double.diagnosis == "forbidden_call" and result.score == 5
    assert {c.function for c in runner.requests[0].calls} == {"half"}


def test_forbidden_call_caught_at_run_time_fails_the_function():
    name = "scipy.special.logsumexp"
    runtime = Observation("forbidden", forbidden=(name,), error="ForbiddenCallError")
    result = grade(FakeRunner(observe={"half": runtime}))
    assert by_name(result)["half: ones"].message.startswith(f"half uses {name}, which is")
    assert result.score == 10


def test_a_forbidden_name_off_the_packs_lists_is_not_repeated():
    forged = Observation("forbidden", forbidden=("one two three",), error="ForbiddenCallError")
    result = grade(FakeRunner(observe={"half": forged}))
    message = by_name(result)["half: ones"].message
    assert message.startswith("half uses a forbidden call, which") and "one two" not in message


def test_missing_function_is_named_with_a_spelling_hint():
    runner = FakeRunner(observe={"half": Observation("missing")})
    runner.imported = ImportOutcome("ok", ("double", "halve"))
    half = by_name(grade(runner))["half: ones"]
    assert half.message.startswith("half is not defined (your file defines halve")
    assert half.diagnosis == "missing"


def test_file_that_stops_at_import_is_graded_with_the_error_and_its_line():
    source = CORRECT.replace("def half", "x = 1 / 0\n\ndef half")
    imported = ImportOutcome(
        "exception",
        ("double",),
        failed_chunk=1,
        error='  File "sub.py", line 4, in <module>\nZeroDivisionError: division by zero',
        line=4,
    )
    runner = FakeRunner(observe={"half": Observation("missing")}, imported=imported)
    result = grade(runner, source)
    assert result.status == GradingStatus.GRADED and result.score == 10
    assert (result.error.kind, result.error.line, result.error.cell) == ("import_error", 4, None)
    assert "line 4" in result.error.message and "ZeroDivisionError" in result.error.message
    assert by_name(result)["half: ones"].message.startswith(
        "half was not defined when your file stopped at line 4: ZeroDivisionError: division by zero"
    )


def test_notebook_import_error_names_the_cell():
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("hi"),
        nbformat.v4.new_code_cell("def double(x):\n    return 2 * x\nboom()"),
    ]
    for index, cell in enumerate(nb.cells):
        cell.id = f"c{index}"
    imported = ImportOutcome(
        "exception", ("double",), failed_chunk=1, error="NameError: boom", line=3
    )
    runner = FakeRunner(observe={"half": Observation("missing")}, imported=imported)
    result = grade(runner, nbformat.writes(nb), "work.ipynb")
    assert (result.error.line, result.error.cell) == (3, 1)
    assert "cell 2, line 3" in by_name(result)["half: ones"].message


def test_exception_shows_its_type_and_at_most_ten_traceback_lines():
    error = (
        "\n".join(f'  File "sub.py", line {i}, in double' for i in range(30)) + "\nKeyError: 'x'"
    )
    result = grade(FakeRunner(observe={"double": Observation("exception", error=error)}))
    message = by_name(result)["double: ones"].message
    assert message.startswith("double raised an exception:\n") and "KeyError: 'x'" in message
    assert len(message.split("inputs:")[0].strip().splitlines()) == 11  # the heading + 10 lines


def test_not_implemented_function_says_so():
    observation = Observation("exception", error="Traceback...\nNotImplementedError")
    double = by_name(grade(FakeRunner(observe={"double": observation})))["double: ones"]
    assert double.message.startswith("double is not implemented yet")
    assert double.diagnosis == "not_implemented"


@pytest.mark.parametrize(
    "status, words",
    [
        ("timeout", "double took longer than 2s"),
        ("memory_limit", "double ran out of memory"),
        ("crashed", "double crashed the Python process running it"),
        ("bad_result", "double returned something the grader cannot read"),
    ],
)
def test_calls_that_do_not_return_get_clear_words(status, words):
    result = grade(FakeRunner(observe={"double": Observation(status)}))
    test = by_name(result)["double: ones"]
    assert test.message.startswith(words) and test.diagnosis == status and result.score == 5


def test_argument_changed_in_place_fails_even_with_the_right_value():
    ok_but_mutated = Observation("ok", value=2 * np.ones(3), mutated=("x",))
    test = by_name(grade(FakeRunner(observe={"double": ok_but_mutated})))["double: ones"]
    assert test.message.startswith("double changed its argument x in place")
    assert test.diagnosis == "in_place_mutation"


def test_visible_failures_describe_their_inputs_and_hidden_ones_do_not():
    result = grade(FakeRunner(observe={"double": Observation("ok", value=np.zeros(3))}))
    assert by_name(result)["double: ones"].message == "wrong value\ninputs: x = ones(3)"
    assert by_name(result)["double: big"].message == "wrong value"


def test_syntax_error_is_not_gradable_with_every_test_listed_as_failed():
    runner = FakeRunner()
    result = grade(runner, "def double(x:\n    return x\n")
    assert (result.status, result.score, result.max_score) == (GradingStatus.NOT_GRADABLE, 0, 15)
    assert len(result.tests) == 3 and not any(t.passed for t in result.tests)
    assert (result.error.kind, result.error.line) == ("syntax_error", 1)
    tests = result.tests
    assert all(t.message.startswith("not run: syntax error in sub.py, line 1") for t in tests)
    assert not any("inputs:" in t.message for t in tests)
    assert runner.requests == []


def test_sandbox_failure_is_a_grader_failure_not_charged_to_the_student():
    runner = FakeRunner(fail=SandboxInfrastructureError("cannot fork"))
    result = grade(runner)
    assert result.status == GradingStatus.FAILED and result.error.kind == "grader_error"
    assert "not your fault" in result.error.message and "cannot fork" not in result.error.message


def test_grader_failure_can_be_raised_for_the_caller_to_retry():
    with pytest.raises(SandboxInfrastructureError):
        grade(FakeRunner(fail=SandboxInfrastructureError("x")), raise_on_infra=True)


def test_a_check_that_raises_on_the_returned_value_fails_that_case_not_the_run(caplog):
    def broken(inputs, observation):
        raise OverflowError("int too large to convert to float")  # float(10**400)

    result = grade(FakeRunner(), pack=make_pack(check=broken))
    assert result.status == GradingStatus.GRADED and result.error is None
    broken_cases = [t for t in result.tests if t.diagnosis == "bad_result"]
    assert broken_cases and not any(t.passed for t in broken_cases)
    assert all("(OverflowError while reading it)" in t.message for t in broken_cases)
    assert "raised on the returned value" in caplog.text  # staff still see it in the log


def test_student_output_is_kept_but_truncated():
    result = grade(FakeRunner(output="x" * 100_000))
    assert result.output.startswith("xxx") and len(result.output) < 9000
    assert "more characters not shown" in result.output


def test_output_printed_in_hidden_tests_is_not_shown_but_noted():
    result = grade(FakeRunner(output="at import\n", printed="x = 9.0"))
    assert result.output == "at import\n\n(output printed during hidden tests is not shown)"


def test_no_note_when_hidden_tests_print_nothing():
    assert grade(FakeRunner(output="at import\n")).output == "at import\n"


def test_visible_cases_run_before_hidden_ones_and_hidden_calls_are_marked():
    runner = FakeRunner()
    grade(runner)
    calls = runner.requests[0].calls
    assert [(c.function, c.hidden) for c in calls] == [
        ("double", False),
        ("half", False),
        ("double", True),
    ]


def test_case_inputs_are_built_once_per_process():
    builds: list = []
    pack = make_pack(builds=builds)
    grade(FakeRunner(), pack=pack)
    grade(FakeRunner(), pack=pack)
    assert sorted(builds) == [1.0, 1.0, 9.0]


def test_device_the_pack_is_not_graded_on_is_refused():
    with pytest.raises(UnsupportedDeviceError):
        grade(FakeRunner(), device="cuda")


def test_grade_source_grades_against_the_pack_named_by_its_id(monkeypatch):
    pack = make_pack()
    monkeypatch.setattr("worker.grading.pipeline.get_pack", lambda pack_id: pack)
    result = grade_source(pack.id, "s.py", CORRECT, runner=FakeRunner())
    assert (result.assignment, result.score) == (pack.id, 15)


def test_cuda_job_on_a_machine_without_cuda_is_a_grader_failure_not_a_crash():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    pack = replace(make_pack(), runtime="torch", devices=("cpu", "cuda"))
    runner = FakeRunner()
    result = grade(runner, pack=pack, device="cuda")
    assert result.status == GradingStatus.FAILED and result.error.kind == "grader_error"
    assert runner.requests == []
    with pytest.raises(SandboxInfrastructureError, match="no CUDA device"):
        grade(runner, pack=pack, device="cuda", raise_on_infra=True)


@pytest.mark.parametrize("expression", ["x" + ".T" * 900, "x" + " + x" * 900])
def test_code_nested_too_deep_to_check_is_not_gradable_rather_than_a_grader_failure(expression):
    result = grade(FakeRunner(), f"def double(x):\n    return {expression}\n")
    assert result.status == GradingStatus.NOT_GRADABLE and result.error.kind == "too_complex"
