"""What the student page shows: the student's own submissions, newest first, each as a
ResultView with hidden outcomes withheld until released, and the pack's instructions
(Markdown from the worker-published catalog, rendered without raw HTML)."""

from __future__ import annotations

from dataclasses import dataclass

import redis
from markdown_it import MarkdownIt
from markupsafe import Markup

from common.assignment_settings import load_assignment_settings
from common.records import KEYS, SubmissionRecord, utcnow
from service.context import services
from service.web.results import ResultView, result_view
from service.web.sessions import StudentIdentity

HISTORY = 50  # submissions listed
_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")


@dataclass(frozen=True)
class Row:
    """One submission in the student's history."""

    record: SubmissionRecord
    view: ResultView | None  # None until graded


@dataclass(frozen=True)
class StudentView:
    """The student's submissions (newest first) and whether hidden outcomes are out."""

    rows: list[Row]
    released: bool

    @property
    def latest(self) -> Row | None:
        return self.rows[0] if self.rows else None

    @property
    def pending(self) -> bool:
        return any(not row.record.status.is_final for row in self.rows)


def student_view(student: StudentIdentity) -> StudentView:
    """Return the page's view of ``student``'s own submissions to their assignment."""
    ctx = services()
    settings = load_assignment_settings(ctx.redis, student.course, student.assignment)
    released = settings.hidden_released(utcnow())
    index = KEYS.attempts(student.course, student.assignment, student.student_id)
    records, _ = ctx.store.list([index], 1, HISTORY)
    rows = [
        Row(r, result_view(r.result, released) if r.result is not None else None)
        for r in records
        if r.student_id == student.student_id and r.course == student.course
    ]
    return StudentView(rows, released)


def instructions_html(client: redis.Redis, assignment: str) -> Markup | None:
    """The pack's README as HTML (raw HTML in it is escaped), or None if none published."""
    text = client.hget(KEYS.catalog_instructions, assignment)
    return Markup(_markdown.render(text)) if text else None  # noqa: S704 - html disabled
