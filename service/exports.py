"""GET /api/v1/courses/{course}/assignments/{assignment}/gradebook.csv (admin only).

One row per student who submitted: best and latest score, attempts, last submission time,
and how many of the counted submissions carry flags for staff (reflection, dynamic imports:
common.contracts.Flag; the flags themselves are in each submission's result); then the
score that counts under the assignment's ``score_counts`` setting (latest or best; of
equal best scores the first counts) and whether that submission was late.
What counts: graded and not-gradable submissions (a not-gradable one scores 0, as the
student sees it). Failed runs are our fault and are neither scored nor counted; queued and
running ones are shown as ``pending`` until they finish.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from flask import Blueprint, Response

from common.assignment_settings import ScoreCounts, load_assignment_settings
from common.records import COUNTED_STATUSES, KEYS
from service.auth import require_admin, require_key
from service.context import services
from service.errors import NotFoundError
from service.keys import KeyStore
from service.models import NAME
from service.openapi import operation

bp = Blueprint("exports", __name__, url_prefix="/api/v1/courses")
require_key(bp)

COLUMNS = (
    "student_id",
    "best_score",
    "latest_score",
    "max_score",
    "attempts",
    "pending",
    "last_submission_at",
    "flagged",
    "score",
    "late",
)
_FIELDS = ("course", "student_id", "status", "received_at", "score", "max_score", "flags", "late")
_PENDING = ("queued", "running")


@dataclass
class StudentRow:
    """One student's line of the gradebook, built from their submissions oldest first."""

    student_id: str
    best_score: float | None = None
    latest_score: float | None = None
    max_score: float | None = None
    attempts: int = 0
    pending: int = 0
    last_submission_at: str = ""
    flagged: int = 0  # counted submissions whose result has flags
    counts: ScoreCounts = ScoreCounts.LATEST
    latest_late: bool = False
    best_late: bool = False

    @property
    def score(self) -> float | None:
        """The score that counts (the assignment's ``score_counts``)."""
        return self.best_score if self.counts is ScoreCounts.BEST else self.latest_score

    @property
    def late(self) -> bool | None:
        """Whether the submission that counts was late; None if none counts yet."""
        if self.attempts == 0:
            return None
        return self.best_late if self.counts is ScoreCounts.BEST else self.latest_late

    def add(self, fields: dict[str, str | None]) -> None:
        """Count one submission's stored fields (call in order of receipt)."""
        status = fields.get("status")
        if status in _PENDING:
            self.pending += 1
        if status not in COUNTED_STATUSES:
            return
        score = float(fields.get("score") or 0) if status == "graded" else 0.0
        self.attempts += 1
        late = fields.get("late") == "True"
        self.latest_score, self.latest_late = score, late
        if self.best_score is None or score > self.best_score:
            self.best_score, self.best_late = score, late
        if fields.get("max_score"):
            self.max_score = float(fields["max_score"])
        self.last_submission_at = fields.get("received_at") or ""
        if (fields.get("flags") or "0") != "0":
            self.flagged += 1


def gradebook_rows(
    submissions: list[dict[str, str | None]], counts: ScoreCounts = ScoreCounts.LATEST
) -> list[StudentRow]:
    """Return one row per student from submission fields given oldest first, sorted by id."""
    rows: dict[str, StudentRow] = {}
    for fields in submissions:
        student = fields.get("student_id")
        if not student:
            continue  # anonymous submissions belong to no gradebook line
        rows.setdefault(student, StudentRow(student, counts=counts)).add(fields)
    return [rows[student] for student in sorted(rows)]


def to_csv(rows: list[StudentRow]) -> str:
    """Return the gradebook as CSV text with a header line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        values = [getattr(row, column) for column in COLUMNS]
        writer.writerow(_cell(value) for value in values)
    return out.getvalue()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    # A spreadsheet runs cells that start like a formula; ids are sender-chosen text.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def check_known(client, course: str, assignment: str) -> None:
    """404 for an assignment no worker publishes and nobody submitted to, or a course with
    no submission and no key. Course names match exactly: case matters."""
    if services().store.assignment(assignment) is None and not client.zcard(
        KEYS.index_assignment(assignment)
    ):
        raise NotFoundError(f"no assignment {assignment!r}")
    if client.zcard(KEYS.index_course(course)):
        return
    courses = {key.course for key in KeyStore(client).all()}
    if course in courses:
        return
    alike = sorted(c for c in courses if c.lower() == course.lower())
    hint = f"; course names are case-sensitive: did you mean {alike[0]!r}?" if alike else ""
    raise NotFoundError(f"no course {course!r}{hint}")


@bp.get("/<course>/assignments/<assignment>/gradebook.csv")
@operation(
    "A course's gradebook for one assignment as CSV, one row per student (admin)",
    responses={200: "text/csv"},
    errors=(401, 403, 404),
    tags=("exports",),
)
def gradebook(course: str, assignment: str) -> Response:
    key = require_admin()
    if not (re.fullmatch(NAME, course) and re.fullmatch(NAME, assignment)):
        raise NotFoundError("no such course or assignment")  # never echoed into a header
    if not key.can_see(course):
        raise NotFoundError(f"no course {course!r} in your scope")
    client = services().redis
    check_known(client, course, assignment)
    return gradebook_response(client, course, assignment)


def gradebook_response(client, course: str, assignment: str) -> Response:
    """The gradebook CSV of ``assignment`` in ``course`` as a download (API and pages)."""
    ids = client.zrange(KEYS.index_assignment(assignment), 0, -1)  # oldest first
    pipe = client.pipeline(transaction=False)
    for submission_id in ids:
        pipe.hmget(KEYS.submission(submission_id), _FIELDS)
    found = [dict(zip(_FIELDS, values, strict=True)) for values in pipe.execute()]
    mine = [fields for fields in found if fields["course"] == course]
    counts = load_assignment_settings(client, course, assignment).score_counts
    filename = f"{course}-{assignment}-gradebook.csv"
    return Response(
        to_csv(gradebook_rows(mine, counts)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
