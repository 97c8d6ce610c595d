"""Per-course assignment settings: due date, late policy, cap, which score counts, and
when hidden tests' outcomes are released to students.

Shared kernel: the web side reads and writes them (staff pages and API, intake), the
worker reads them (which score the LMS gradebook receives). Stored as one JSON string per
(course, assignment) under ``RedisKeys.assignment_settings``; an assignment no one has
configured has :meth:`AssignmentSettings.defaults`, which is how the service behaved
before settings existed (no due date, accept everything, latest counts, hidden outcomes
shown at once).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import redis
from pydantic import BaseModel, ConfigDict, Field, field_validator

from common.records import COUNTED_STATUSES, KEYS, SubmissionRecord


class LatePolicy(StrEnum):
    """What happens to a submission received after the due date."""

    ACCEPT = "accept"  # graded, and marked ``late: true``
    REFUSE = "refuse"  # refused with a 4xx; nothing stored


class ScoreCounts(StrEnum):
    """Which of a student's graded submissions is their grade (gradebook, LMS passback)."""

    LATEST = "latest"
    BEST = "best"


class HiddenRelease(StrEnum):
    """When a student may see whether each hidden test passed (never its inputs)."""

    NEVER = "never"
    AFTER_DUE = "after_due"
    IMMEDIATELY = "immediately"


class AssignmentSettings(BaseModel):
    """One assignment's settings in one course."""

    model_config = ConfigDict(extra="forbid")

    due_at: datetime | None = Field(
        None, description="Due date and time, timezone-aware (stored in UTC); None: no due date."
    )
    timezone: str = Field(
        "UTC", description="IANA time zone the due date is shown in, e.g. 'Europe/Berlin'."
    )
    late_policy: LatePolicy = LatePolicy.ACCEPT
    max_submissions: int = Field(
        0,
        ge=0,
        le=10_000,
        description="Cap per student; 0: the service-wide AUTOGRADER_MAX_SUBMISSIONS_PER_STUDENT.",
    )
    score_counts: ScoreCounts = ScoreCounts.LATEST
    hidden_release: HiddenRelease = HiddenRelease.IMMEDIATELY

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from None
        return value

    @field_validator("due_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give the due date with its UTC offset, e.g. 2026-12-24T23:59+01:00")
        return value

    @classmethod
    def defaults(cls) -> AssignmentSettings:
        """The settings of an assignment no one has configured."""
        return cls()

    def is_late(self, at: datetime) -> bool:
        """True when ``at`` (aware) is after the due date."""
        return self.due_at is not None and at > self.due_at

    def hidden_released(self, now: datetime) -> bool:
        """True when students may see hidden tests' pass/fail at ``now`` (aware)."""
        if self.hidden_release is HiddenRelease.IMMEDIATELY:
            return True
        if self.hidden_release is HiddenRelease.AFTER_DUE:
            return self.due_at is not None and now >= self.due_at
        return False

    def due_local(self) -> datetime | None:
        """The due date in the assignment's own time zone (for display)."""
        return self.due_at.astimezone(ZoneInfo(self.timezone)) if self.due_at else None

    def cap(self, service_default: int) -> int:
        """The submission cap that applies (0: none)."""
        return self.max_submissions or service_default


def load_assignment_settings(
    client: redis.Redis, course: str, assignment: str
) -> AssignmentSettings:
    """Return the stored settings of ``assignment`` in ``course``, or the defaults."""
    text = client.get(KEYS.assignment_settings(course, assignment))
    return AssignmentSettings.model_validate_json(text) if text else AssignmentSettings.defaults()


def save_assignment_settings(
    client: redis.Redis, course: str, assignment: str, settings: AssignmentSettings
) -> None:
    """Store the settings of ``assignment`` in ``course`` (replacing what was there)."""
    client.set(KEYS.assignment_settings(course, assignment), settings.model_dump_json())


def counted_submission(
    records: Iterable[SubmissionRecord], counts: ScoreCounts
) -> SubmissionRecord | None:
    """Of one student's submissions, the one whose score is their grade: the latest, or
    the best (of equal best scores the first, as the gradebook says); only graded and
    not-gradable ones count. None if none does yet."""
    scored = [r for r in records if r.status in COUNTED_STATUSES and r.score is not None]
    if not scored:
        return None
    scored.sort(key=lambda r: r.received_at)
    if counts is ScoreCounts.BEST:
        return max(scored, key=lambda r: r.score)  # max keeps the first of equals
    return scored[-1]
