"""Fair turns: one running submission per student and assignment, the others wait their
turn on the queue (real Redis; a real worker for the end-to-end one)."""

from __future__ import annotations

import secrets
import threading
import time

import pytest
import redis
from service_support import store_submission, submit_file

from common.contracts import GradingResult, GradingStatus
from common.records import KEYS, SubmissionRecord
from worker import fairness
from worker.tasks import grade_submission

FIXTURES_SLOW = "faults/slow_correct.py"


@pytest.fixture
def client(redis_server) -> redis.Redis:
    return redis_server.client()


def stored(client, student: str | None, course: str = "fair") -> SubmissionRecord:
    return store_submission(client, course=course, student_id=student)


def graded(record: SubmissionRecord, source: str) -> GradingResult:
    return GradingResult(
        assignment=record.assignment, status=GradingStatus.GRADED, score=1, max_score=1,
        duration_ms=1,
    )  # fmt: skip


def test_a_students_second_submission_waits_while_the_first_runs(client):
    student = "s-" + secrets.token_hex(4)
    first, second = stored(client, student), stored(client, student)
    other = stored(client, "t-" + secrets.token_hex(4))
    inside = threading.Event()
    release = threading.Event()

    def slow(record, source):
        inside.set()
        release.wait(30)
        return graded(record, source)

    runner = threading.Thread(target=grade_submission, args=(client, first.id, 30, slow))
    runner.start()
    try:
        assert inside.wait(30)
        with pytest.raises(fairness.StudentBusyError):
            grade_submission(client, second.id, 30, graded)
        assert grade_submission(client, other.id, 30, graded) == "graded"  # not held up
        assert client.hget(KEYS.submission(second.id), "status") in (b"queued", "queued")
    finally:
        release.set()
        runner.join(30)
    assert grade_submission(client, second.id, 30, graded) == "graded"  # its turn now


def test_a_redelivered_task_takes_its_own_turn_back_and_a_turn_expires_with_its_worker(client):
    student = "s-" + secrets.token_hex(4)
    first, second = stored(client, student), stored(client, student)
    held = fairness.take_turn(client, first, ttl_s=0.5)
    held.stopped.set()  # its worker "died": nobody renews it
    again = fairness.take_turn(client, first, ttl_s=30)  # the holder's redelivery
    again.close()
    dead = fairness.take_turn(client, first, ttl_s=0.3)
    dead.stopped.set()
    with pytest.raises(fairness.StudentBusyError):
        fairness.take_turn(client, second, ttl_s=30)
    deadline = time.monotonic() + 10
    while client.exists(fairness.turn_key(first)) and time.monotonic() < deadline:
        time.sleep(0.05)
    fairness.take_turn(client, second, ttl_s=30).close()


def test_submissions_without_a_student_id_never_wait(client):
    first, second = stored(client, None), stored(client, None)
    assert isinstance(fairness.take_turn(client, first, 30), fairness.NoTurn)
    assert isinstance(fairness.take_turn(client, second, 30), fairness.NoTurn)


@pytest.mark.slow
@pytest.mark.usefixtures("celery_worker")
def test_one_students_submissions_run_one_at_a_time_and_all_are_graded_once(
    make_client, admin_auth
):
    from service_support import FIXTURES

    slow = FIXTURES.parent.parent / FIXTURES_SLOW
    client = make_client()
    student = "fair-" + secrets.token_hex(4)
    ids = []
    for _ in range(3):
        accepted = submit_file(client, admin_auth, slow, student_id=student)
        assert accepted.status_code == 202
        ids.append(accepted.get_json()["id"])
    done = []
    for sid in ids:
        body = client.get(f"/api/v1/submissions/{sid}?wait=30", headers=admin_auth).get_json()
        while body["status"] in ("queued", "running"):
            body = client.get(f"/api/v1/submissions/{sid}?wait=30", headers=admin_auth).get_json()
        done.append(body)
    assert [d["status"] for d in done] == ["graded"] * 3
    assert all(d["score"] == d["max_score"] == 100 for d in done)
    spans = sorted((d["started_at"], d["finished_at"]) for d in done)
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        assert end <= start  # never two at once (the worker has two processes)
