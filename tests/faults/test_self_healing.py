"""Nothing stays stuck: a lost broker connection, a worker that stops consuming, a record
stored but never enqueued. Each heals without a person: the worker reconnects, or its stall
watchdog exits it for a fresh one (the cluster supervises workers as `serve` does), and the
sweeper enqueues orphans again.
"""

from __future__ import annotations

import pytest
from celery import Celery
from fault_support import AUTH, EXIT_STALLED, FIXTURES, WORKER_ENV, wait_until
from live_services import RedisDiesBeforeEnqueue

from common.records import KEYS

pytestmark = pytest.mark.slow

CORRECT = FIXTURES / "numpy_correct.py"
STALL_S = float(WORKER_ENV["AUTOGRADER_STALL_THRESHOLD_S"])
GRADING_S = float(WORKER_ENV["AUTOGRADER_TASK_TIME_LIMIT_S"])  # the longest one grading takes
FRESH_WORKER_S = 60.0  # a fresh worker's start (imports, sandbox warm-up) on a loaded machine


def metric(cluster, name: str) -> float:
    """The value of the unlabelled sample ``name`` in /metrics."""
    for line in cluster.api.get("/metrics").get_data(as_text=True).splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[1])
    raise AssertionError(f"{name} is not in /metrics")


def test_killing_the_workers_broker_connections_mid_burst_still_grades_every_submission(
    cluster, publications
):
    worker = cluster.start_worker(concurrency=2)
    ids = cluster.submit_many([CORRECT] * 10, "before")
    wait_until(lambda: cluster.statuses(ids)["graded"] >= 2, 60, "the burst to be under way")

    client = cluster.redis.client()
    addresses = worker.redis_addresses(cluster.redis.port)
    assert addresses  # the consumer's connection among them
    for address in addresses:  # killing one may make the worker close the others itself
        client.client_kill_filter(addr=address)
    ids += cluster.submit_many([CORRECT] * 10, "after")

    # Within the stall threshold plus one grading (and a fresh worker's start, should the
    # watchdog have had to replace this one).
    cluster.wait_all_final(ids, timeout_s=STALL_S + GRADING_S + FRESH_WORKER_S)
    assert {cluster.record(i).score for i in ids} == {100.0}
    # Stored once: the write that stores a result publishes it. (The worker's log is no
    # witness here: a run cancelled on the connection loss may have stored its result
    # before Celery could log its success.)
    wait_until(lambda: sum(publications.counts[i] for i in ids) >= len(ids), 10, "publications")
    assert {i: publications.counts[i] for i in ids} == {i: 1 for i in ids}


def test_a_worker_that_stops_consuming_exits_and_a_fresh_one_grades_what_waited(cluster):
    worker = cluster.start_worker(concurrency=2)
    [name] = cluster.redis.client().smembers(KEYS.workers("cpu"))
    control = Celery(broker=cluster.redis.url, set_as_current=False)
    try:  # alive, heart-beating, free slots, and taking nothing: the symptom of the bug
        control.control.cancel_consumer("cpu", destination=[name], reply=True, timeout=10)
    finally:
        control.close()
    ids = cluster.submit_many([CORRECT] * 3, "stalled")

    wait_until(lambda: cluster.restarts, STALL_S + GRADING_S + 30, "the watchdog's restart")
    cluster.wait_all_final(ids, timeout_s=FRESH_WORKER_S + GRADING_S)

    log = worker.log_path.read_text(errors="replace")
    assert f"exiting with status {EXIT_STALLED}" in log
    assert metric(cluster, "autograder_worker_stalls_total") == 1
    assert {cluster.record(i).score for i in ids} == {100.0}


def test_a_submission_stored_when_redis_died_before_its_enqueue_is_swept_and_graded(cluster):
    cluster.start_worker(concurrency=1)
    services = cluster.app.extensions["autograder"]
    real_queue = services.queue
    services.queue = RedisDiesBeforeEnqueue(cluster.redis, real_queue)
    try:
        refused = cluster.submit(CORRECT, "between-the-steps")
    finally:
        services.queue = real_queue
    cluster.redis.start()
    assert refused.status_code == 503
    [orphan] = cluster.redis.client().zrange(KEYS.index_status("queued"), 0, -1)

    cluster.wait_all_final([orphan], timeout_s=60)
    assert cluster.record(orphan).score == 100.0
    assert metric(cluster, "autograder_orphans_requeued_total") == 1
    status = cluster.api.get(f"/api/v1/submissions/{orphan}", headers=AUTH).get_json()
    assert status["status"] == "graded"
