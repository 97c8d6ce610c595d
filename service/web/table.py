"""The dashboard's submissions table: filters, sort and paging over a class's records
(pure; the page loads the records once and shares them with the stats).

A diagnosis filter (``function:diagnosis``) applies to the stats' basis, each student's
latest finished submission, so following a diagnosis shows exactly the students the stats
counted for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field, field_validator

from common.records import SubmissionRecord, SubmissionStatus
from service.stats import diagnoses_of, latest_finished

PER_PAGE = 50
SORTS = {
    "received": lambda r: r.received_at,
    "student": lambda r: (r.student_id or "", r.received_at),
    "score": lambda r: (r.score if r.score is not None else -1.0, r.received_at),
}


class TableQuery(BaseModel):
    """The table's query string (an unknown sort or order falls back to the default)."""

    student: str = Field("", max_length=128)
    status: SubmissionStatus | None = None
    min_score: float | None = Field(None, ge=0)
    max_score: float | None = Field(None, ge=0)
    diagnosis: str = Field("", max_length=200, description="'function:diagnosis'")
    sort: str = "received"
    order: str = "desc"
    page: int = Field(1, ge=1, le=100_000)

    @field_validator("status", "min_score", "max_score", mode="before")
    @classmethod
    def _blank_is_none(cls, value):
        return None if value == "" else value

    @field_validator("sort")
    @classmethod
    def _known_sort(cls, value: str) -> str:
        return value if value in SORTS else "received"

    @field_validator("order")
    @classmethod
    def _known_order(cls, value: str) -> str:
        return "asc" if value == "asc" else "desc"


@dataclass(frozen=True)
class Table:
    """One page of the filtered, sorted records."""

    rows: list[SubmissionRecord]
    total: int
    page: int
    pages: int


def keep(record: SubmissionRecord, query: TableQuery) -> bool:
    """True when ``record`` passes the student, status and score filters."""
    if query.student and query.student.lower() not in (record.student_id or "").lower():
        return False
    if query.status is not None and record.status is not query.status:
        return False
    if query.min_score is not None and (record.score is None or record.score < query.min_score):
        return False
    return query.max_score is None or (record.score is not None and record.score <= query.max_score)


def table(records: list[SubmissionRecord], query: TableQuery) -> Table:
    """Filter, sort and page ``records`` as ``query`` asks."""
    if query.diagnosis:
        function, _, bug = query.diagnosis.partition(":")
        latest = latest_finished(records).values()
        graded = [r for r in latest if r.status is SubmissionStatus.GRADED]  # as the stats
        records = [r for r in graded if (function, bug) in diagnoses_of(r)]
    kept = sorted(
        (r for r in records if keep(r, query)),
        key=SORTS[query.sort],
        reverse=query.order == "desc",
    )
    pages = max(1, -(-len(kept) // PER_PAGE))
    page = min(query.page, pages)
    start = (page - 1) * PER_PAGE
    return Table(kept[start : start + PER_PAGE], len(kept), page, pages)
