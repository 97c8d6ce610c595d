"""Typed messages shared by the web side and the worker side.

Plain pydantic models: the grade-task message (what the service enqueues, by task name)
and the grading result (what the worker stores). Everything here serialises with
``model_dump(mode="json")``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

RESULT_SCHEMA_VERSION = 1
GRADE_TASK = "autograder.grade"  # the Celery task name; the web side enqueues by name
REGRADE_TASK = "autograder.regrade"  # grade stored submissions again (staff pages, issue 14)

# Where a submission is graded. reference.pack.Device is the same literal, kept there
# because reference/ imports nothing of ours (a test holds the two equal).
Device = Literal["cpu", "cuda"]


def utf8_text(text: str) -> str:
    """Return ``text`` with what UTF-8 cannot encode (a lone surrogate a student printed or
    raised) replaced by U+FFFD, so every result serialises to JSON."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text


# Text that may hold what a student's code produced (messages, output).
Text = Annotated[str, AfterValidator(utf8_text)]


class Visibility(StrEnum):
    """Whether a student may see a case's inputs and expected values."""

    VISIBLE = "visible"
    HIDDEN = "hidden"


class GradingStatus(StrEnum):
    """The three outcomes of a grading run, kept apart.

    ``graded``: the file ran and every case has a verdict (whatever the score).
    ``not_gradable``: the student's file cannot be run at all (syntax error, bad notebook).
    ``failed``: our fault (infrastructure); never charged to the student, retried.
    """

    GRADED = "graded"
    NOT_GRADABLE = "not_gradable"
    FAILED = "failed"


class TestResult(BaseModel):
    """The verdict on one test case of one function."""

    model_config = ConfigDict(frozen=True)
    __test__ = False  # not a pytest class

    name: str = Field(description="Case name, e.g. 'softmax: scores of magnitude 1e4'.")
    function: str = Field(description="The student function this case exercises.")
    passed: bool
    score: float = Field(ge=0)
    max_score: float = Field(ge=0)
    message: Text = Field(
        description="What went wrong, in words a student can act on; '' if passed."
    )
    visibility: Visibility
    diagnosis: str | None = Field(
        default=None, description="Bug class recognised, e.g. 'no_max_subtraction'; None if none."
    )


class GradingError(BaseModel):
    """Why a submission could not be (fully) run: shown to the student."""

    kind: str = Field(description="e.g. 'syntax_error', 'import_error', 'invalid_notebook'.")
    message: Text
    line: int | None = None
    cell: int | None = Field(default=None, description="0-based notebook cell index, if any.")


class Flag(BaseModel):
    """Something in a submission staff should look at; it never changes the score.

    Kinds: 'dynamic_import' (importlib, ``__import__``), 'reflection' (gc, sys.modules,
    builtins, getattr on a module with a computed name...): what the forbidden-call rule
    cannot see through (SECURITY.md, "What the forbidden-call rule guarantees").
    """

    model_config = ConfigDict(frozen=True)

    kind: str = Field(description="e.g. 'dynamic_import', 'reflection'.")
    function: str | None = Field(
        default=None, description="The top-level definition it is in; None at module level."
    )
    message: Text = Field(description="Where and what, e.g. 'line 3: imports importlib ...'.")


class GradingResult(BaseModel):
    """The full result of grading one submission against one assignment."""

    schema_version: int = RESULT_SCHEMA_VERSION
    assignment: str
    status: GradingStatus
    score: float = Field(ge=0)
    max_score: float = Field(ge=0)
    tests: list[TestResult] = Field(default_factory=list)
    error: GradingError | None = None
    warnings: list[GradingError] = Field(
        default_factory=list,
        description="Top-level statements that raised while the file ran, each with its line "
        "(and cell): they were skipped and the statements after them still ran.",
    )
    output: Text = Field(default="", description="Captured student stdout/stderr, truncated.")
    duration_ms: float = Field(ge=0, description="Wall time of the grading run, milliseconds.")
    device: Device = "cpu"
    versions: dict[str, str] = Field(default_factory=dict, description="python, numpy, torch...")
    flags: list[Flag] = Field(
        default_factory=list,
        description="For staff: reflection and dynamic imports found in the file (no points).",
    )


class GradeTask(BaseModel):
    """The message of a ``GRADE_TASK``: which stored submission to grade.

    Only the id travels: the worker reads the record and the file from the store, so a
    redelivered or retried message never carries a stale copy of either.
    """

    model_config = ConfigDict(extra="forbid")

    submission_id: str = Field(min_length=1, max_length=128)


class RegradeTask(BaseModel):
    """The message of a ``REGRADE_TASK``: regrade one assignment's finished submissions in
    one course (or only ``submission_ids``), reporting progress under ``job_id``."""

    model_config = ConfigDict(extra="forbid")

    job_id: str = Field(min_length=1, max_length=64)
    course: str = Field(min_length=1, max_length=64)
    assignment: str = Field(min_length=1, max_length=64)
    submission_ids: list[str] | None = Field(default=None, max_length=100_000)


def result_json_schema() -> dict:
    """Return the JSON Schema of :class:`GradingResult` (published in docs/)."""
    return GradingResult.model_json_schema()
