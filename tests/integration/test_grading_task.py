"""The grading task body on a real Redis: one result per submission, whatever is redelivered."""

from __future__ import annotations

import threading

import pytest
import redis
from service_support import store_submission

from common.contracts import GradingResult, GradingStatus
from common.records import KEYS, SubmissionRecord, SubmissionStatus, utcnow
from service.store import SubmissionStore
from worker import lifecycle
from worker.sandbox.host.api import SandboxInfrastructureError
from worker.tasks import SubmissionBusyError, give_up, grade_submission

LOCK_TTL_S = 60


class CountingGrader:
    """A stand-in for the pipeline: counts its calls, returns a fixed graded result."""

    def __init__(self, score: float = 7.0, error: Exception | None = None) -> None:
        self.calls, self.score, self.error = 0, score, error

    def __call__(self, record: SubmissionRecord, source: str) -> GradingResult:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return GradingResult(
            assignment=record.assignment,
            status=GradingStatus.GRADED,
            score=self.score,
            max_score=10,
            duration_ms=1,
        )


@pytest.fixture
def client(redis_server) -> redis.Redis:
    return redis_server.client()


@pytest.fixture
def stored(client) -> SubmissionRecord:
    """A queued submission stored as the API stores it (nothing enqueued)."""
    return store_submission(client, course="task-tests")


def test_a_redelivered_task_does_not_grade_again(client, stored):
    grader = CountingGrader()

    first = grade_submission(client, stored.id, LOCK_TTL_S, grade=grader)
    again = grade_submission(client, stored.id, LOCK_TTL_S, grade=CountingGrader(score=1))

    assert (first, again, grader.calls) == ("graded", "final", 1)
    record = lifecycle.load(client, stored.id)
    assert record.score == 7 and record.attempts == 1 and record.status == "graded"
    assert client.zscore(KEYS.index_status("graded"), stored.id) is not None
    assert client.zscore(KEYS.index_status("queued"), stored.id) is None


def test_a_submission_locked_by_another_worker_is_left_to_it(client, stored):
    assert lifecycle.acquire_lock(client, stored.id, LOCK_TTL_S) is not None
    grader = CountingGrader()

    with pytest.raises(SubmissionBusyError):
        grade_submission(client, stored.id, LOCK_TTL_S, grade=grader)

    assert grader.calls == 0
    assert lifecycle.load(client, stored.id).status == "queued"


def test_only_one_of_two_concurrent_deliveries_grades(client, stored):
    release = threading.Event()
    outcomes = []

    def slow(record, source):
        release.wait(10)
        return CountingGrader()(record, source)

    first = threading.Thread(
        target=lambda: outcomes.append(grade_submission(client, stored.id, LOCK_TTL_S, slow))
    )
    first.start()
    while lifecycle.load(client, stored.id).status != "running":
        threading.Event().wait(0.01)
    with pytest.raises(SubmissionBusyError):
        grade_submission(client, stored.id, LOCK_TTL_S, grade=CountingGrader())
    release.set()
    first.join()

    assert outcomes == ["graded"]


def test_a_final_result_is_never_overwritten(client, stored):
    grade_submission(client, stored.id, LOCK_TTL_S, grade=CountingGrader(score=7))
    other = CountingGrader(score=1)(stored, "")

    assert not lifecycle.finish(client, stored.id, SubmissionStatus.GRADED, other, utcnow())
    assert lifecycle.load(client, stored.id).score == 7


def test_infrastructure_failure_is_raised_for_retry_and_the_submission_requeued(client, stored):
    grader = CountingGrader(error=SandboxInfrastructureError("bwrap vanished"))

    with pytest.raises(SandboxInfrastructureError):
        grade_submission(client, stored.id, LOCK_TTL_S, grade=grader)

    record = lifecycle.load(client, stored.id)
    assert (record.status, record.attempts, record.result) == ("queued", 1, None)
    assert client.get(KEYS.lock(stored.id)) is None  # released for the retry
    assert grade_submission(client, stored.id, LOCK_TTL_S, grade=CountingGrader()) == "graded"


def test_giving_up_stores_a_failed_result_that_blames_the_grader(client, stored):
    assert give_up(client, stored.id, SandboxInfrastructureError("no bwrap")) == "failed"

    record = lifecycle.load(client, stored.id)
    assert record.status == "failed"
    assert (record.score, record.max_score) == (0, 100)
    assert record.result.error.kind == "grader_error"
    assert "not your fault" in record.result.error.message


def test_giving_up_on_a_finished_submission_changes_nothing(client, stored):
    grade_submission(client, stored.id, LOCK_TTL_S, grade=CountingGrader(score=7))

    assert give_up(client, stored.id, RuntimeError("late")) == "final"
    assert lifecycle.load(client, stored.id).status == "graded"


def test_a_missing_submission_is_a_no_op(client):
    grader = CountingGrader()
    assert grade_submission(client, "no-such-id", LOCK_TTL_S, grade=grader) == "missing"
    assert grader.calls == 0


def test_finishing_publishes_the_status_to_long_pollers(client, stored):
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(KEYS.finished_channel(stored.id))
    pubsub.get_message(timeout=5)  # the subscribe confirmation

    grade_submission(client, stored.id, LOCK_TTL_S, grade=CountingGrader())

    message = pubsub.get_message(timeout=5)
    pubsub.close()
    assert message is not None and message["data"] == "graded"


def test_long_poll_returns_the_record_as_it_is_when_time_runs_out(client, stored):
    record = SubmissionStore(client).wait_finished(stored.id, 0.2)
    assert record.status == "queued"
