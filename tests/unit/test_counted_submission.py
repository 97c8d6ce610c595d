"""Which of a student's submissions is their grade (common.assignment_settings
.counted_submission): the one rule the LMS passback follows, as the gradebook does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from common.assignment_settings import ScoreCounts, counted_submission
from common.records import SubmissionRecord, SubmissionStatus

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def sub(name: str, minutes: int, status: str, score: float | None) -> SubmissionRecord:
    return SubmissionRecord(
        id=name, assignment="lecture4-numpy", course="CS101", student_id="ada",
        filename=f"{name}.py", sha256="0" * 64, received_at=T0 + timedelta(minutes=minutes),
        status=SubmissionStatus(status), score=score, max_score=100,
    )  # fmt: skip


# Given newest first, as the attempts index lists them; a failed run (ours) scores highest
# and a queued one comes last: neither counts.
HISTORY = [
    sub("queued", 5, "queued", None),
    sub("failed", 4, "failed", 100),
    sub("late-80", 3, "graded", 80),
    sub("broken", 2, "not_gradable", 0),
    sub("second-80", 1, "graded", 80),
    sub("first-80", 0, "graded", 80),
]


def test_latest_is_the_newest_graded_or_not_gradable_submission():
    assert counted_submission(HISTORY, ScoreCounts.LATEST).id == "late-80"
    assert counted_submission(HISTORY[3:], ScoreCounts.LATEST).id == "broken"


def test_best_is_the_first_of_equal_best_scores_and_a_failed_run_never_counts():
    assert counted_submission(HISTORY, ScoreCounts.BEST).id == "first-80"


def test_nothing_counts_before_a_submission_finishes():
    assert counted_submission(HISTORY[:2], ScoreCounts.LATEST) is None
    assert counted_submission([], ScoreCounts.BEST) is None
