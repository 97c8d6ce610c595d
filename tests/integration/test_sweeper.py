"""The sweeper finds records that nothing would grade and enqueues them again, once.

Real Redis, real kombu messages (the API's own queue client), no worker: each test reads
the broker's keys to see what a worker would find. The intake test injects the fault
exactly between intake's two steps: Redis dies once the record is stored, before the task
is sent.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from live_services import RedisDiesBeforeEnqueue, RedisServer
from service_support import FIXTURES, store_submission

from common.records import KEYS, SubmissionStatus, utcnow
from service.queue import GradingQueue
from worker import lifecycle
from worker.broker_messages import submissions_with_messages
from worker.sweeper import find_orphans, sweep, sweep_if_due

LOCK_TTL_S, REMEMBER_S = 30.0, 60.0


@pytest.fixture
def server(tmp_path):
    """A Redis of the test's own that fsyncs every write, as production's does."""
    built = RedisServer(tmp_path / "redis")
    built.appendfsync = "always"
    built.start()
    yield built
    built.stop()


@pytest.fixture
def queue(server):
    built = GradingQueue(server.url, 2.0)
    yield built
    built.celery.close()


def stored(client, name: str, status: SubmissionStatus = SubmissionStatus.QUEUED) -> str:
    """Store a submission as intake does (no message sent); move it to ``status``."""
    then = utcnow() - timedelta(minutes=5)
    record = store_submission(
        client, received_at=then, id=f"sub-{name}", course="c", student_id=name
    )
    if status != SubmissionStatus.QUEUED:
        lifecycle.move(client, record.id, status, {}, attempt=True)
    return record.id


class Sent:
    """The sweeper's enqueue: sends through the real queue client and keeps a list."""

    def __init__(self, queue: GradingQueue) -> None:
        self.queue, self.ids = queue, []

    def __call__(self, submission_id: str, device: str) -> None:
        self.ids.append(submission_id)
        self.queue.enqueue(submission_id, device)


def test_a_queued_record_without_a_message_is_enqueued_on_the_second_sweep_and_only_then(
    server, queue
):
    client, sent = server.client(), Sent(queue)
    orphan = stored(client, "orphan")

    assert sweep(client, sent, LOCK_TTL_S, REMEMBER_S) == []  # seen once: only remembered
    assert sweep(client, sent, LOCK_TTL_S, REMEMBER_S) == [orphan]
    assert orphan in submissions_with_messages(client)
    assert sweep(client, sent, LOCK_TTL_S, REMEMBER_S) == []  # its message is there now
    assert sent.ids == [orphan]
    assert client.hget(KEYS.incidents, "orphans_requeued") == "1"


def test_records_with_a_message_waiting_or_unacknowledged_or_a_live_run_are_left_alone(
    server, queue
):
    client, sent = server.client(), Sent(queue)
    waiting = stored(client, "waiting")
    queue.enqueue(waiting, "cpu")
    delivered = stored(client, "delivered", SubmissionStatus.RUNNING)
    message = {"headers": {"task": "autograder.grade", "id": delivered}, "body": ""}
    client.hset(KEYS.broker_unacked, "tag-1", json.dumps([message, "", "cpu"]))
    grading = stored(client, "grading", SubmissionStatus.RUNNING)
    assert lifecycle.acquire_lock(client, grading, LOCK_TTL_S)

    for _ in range(3):
        assert sweep(client, sent, LOCK_TTL_S, REMEMBER_S) == []
    assert find_orphans(client) == {}
    assert sent.ids == []


def test_a_running_record_with_no_lock_and_no_message_goes_back_to_queued_and_is_enqueued(
    server, queue
):
    client, sent = server.client(), Sent(queue)
    dead = stored(client, "dead-run", SubmissionStatus.RUNNING)

    sweep(client, sent, LOCK_TTL_S, REMEMBER_S)
    assert sweep(client, sent, LOCK_TTL_S, REMEMBER_S) == [dead]
    assert lifecycle.load(client, dead).status == SubmissionStatus.QUEUED
    assert client.zscore(KEYS.index_status("queued"), dead) is not None
    assert client.get(KEYS.lock(dead)) is None  # the sweeper's own hold is released


def test_a_record_that_changed_between_two_sweeps_is_not_enqueued_yet(server, queue):
    client, sent = server.client(), Sent(queue)
    moving = stored(client, "moving")
    sweep(client, sent, LOCK_TTL_S, REMEMBER_S)
    lifecycle.move(client, moving, SubmissionStatus.RUNNING, {}, attempt=True)  # a run began

    assert sweep(client, sent, LOCK_TTL_S, REMEMBER_S) == []  # running:1 is news
    assert sweep(client, sent, LOCK_TTL_S, REMEMBER_S) == [moving]  # and then confirmed


def test_one_sweep_per_interval_whichever_worker_asks(server, queue):
    client, sent = server.client(), Sent(queue)
    stored(client, "orphan")
    assert sweep_if_due(client, sent, 60.0, LOCK_TTL_S) == []
    assert sweep_if_due(client, sent, 60.0, LOCK_TTL_S) is None  # another worker, same minute
    client.delete(KEYS.sweeper_lock)  # the interval has passed
    assert len(sweep_if_due(client, sent, 60.0, LOCK_TTL_S)) == 1


def test_a_submission_stored_when_redis_died_before_its_enqueue_is_swept_into_the_queue(
    server, queue
):
    from common.settings import Settings
    from service import create_app
    from worker.catalog_publisher import build_catalog, publish

    client = server.client()
    publish(client, build_catalog())
    settings = Settings(redis_url=server.url, admin_key="sweeper-test-admin-key-0123456789")
    app = create_app(settings)
    services = app.extensions["autograder"]
    services.queue = RedisDiesBeforeEnqueue(server, services.queue)
    auth = {"Authorization": "Bearer sweeper-test-admin-key-0123456789"}
    body = {"assignment": "lecture4-numpy", "source": (FIXTURES / "numpy_correct.py").read_text()}

    refused = app.test_client().post("/api/v1/submissions", headers=auth, json=body)
    server.start()

    assert refused.status_code == 503  # the client was told to try again...
    [orphan] = client.zrange(KEYS.index_status("queued"), 0, -1)  # ...but the record stayed
    assert submissions_with_messages(client) == set()
    sent = Sent(queue)
    sweep(client, sent, LOCK_TTL_S, REMEMBER_S)
    assert sweep(client, sent, LOCK_TTL_S, REMEMBER_S) == [orphan]
    assert submissions_with_messages(client) == {orphan}
    services.redis.close()
    services.queue.queue.celery.close()
