"""/metrics tells an operator about waits and stalls: the oldest queued submission's age per
queue, queues that nobody consumes, and the self-healing the workers did."""

from __future__ import annotations

from datetime import timedelta

from service_support import store_submission

from common import incidents
from common.records import utcnow
from service.queue import GradingQueue


def samples(client) -> dict[str, float]:
    text = client.get("/metrics").get_data(as_text=True)
    pairs = (line.rsplit(" ", 1) for line in text.splitlines() if line and line[0] != "#")
    return {name: float(value) for name, value in pairs}


def queued(redis, name: str, device: str, waited_s: float) -> str:
    then = utcnow() - timedelta(seconds=waited_s)
    record = store_submission(
        redis, received_at=then, id=name, assignment="lecture4-torch", course="c", device=device
    )
    return record.id


def test_metrics_show_the_oldest_wait_per_queue_a_stalled_queue_and_the_healing_done(
    make_settings, fresh_redis
):
    from service import create_app

    redis = fresh_redis.client()
    queued(redis, "old-cpu", "cpu", 90)
    queued(redis, "new-cpu", "cpu", 5)
    cuda = queued(redis, "cuda", "cuda", 30)
    queue = GradingQueue(fresh_redis.url, 2.0)
    queue.enqueue(cuda, "cuda")  # waits in gpu, and no worker consumes it
    queue.celery.close()
    incidents.record(redis, incidents.WORKER_STALLS)
    incidents.record(redis, incidents.ORPHANS_REQUEUED, 3)

    found = samples(create_app(make_settings(redis_url=fresh_redis.url)).test_client())

    assert 90 <= found['autograder_queue_oldest_waiting_seconds{queue="cpu"}'] < 120
    assert 30 <= found['autograder_queue_oldest_waiting_seconds{queue="gpu"}'] < 60
    assert found['autograder_queue_stalled{queue="gpu"}'] == 1
    assert found['autograder_queue_stalled{queue="cpu"}'] == 0  # records, but no task waits
    assert found["autograder_worker_stalls_total"] == 1
    assert found["autograder_orphans_requeued_total"] == 3


def test_metrics_read_zero_waits_and_no_healing_on_an_idle_service(make_settings, fresh_redis):
    from service import create_app

    found = samples(create_app(make_settings(redis_url=fresh_redis.url)).test_client())

    assert found['autograder_queue_oldest_waiting_seconds{queue="cpu"}'] == 0
    assert found['autograder_queue_stalled{queue="cpu"}'] == 0
    assert found["autograder_worker_stalls_total"] == 0
    assert found["autograder_orphans_requeued_total"] == 0
