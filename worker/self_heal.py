"""A worker's self-healing threads, started once it is ready: stall watchdog and sweeper.

Wired from worker/celery_app.py's ready and shutdown signals. Both threads run in the
worker's main process beside the heartbeat and share its Redis client.
"""

from __future__ import annotations

import logging
from functools import partial

import redis
from celery import Celery, signals
from celery.worker import state

from common import incidents
from common.contracts import GRADE_TASK, GradeTask
from common.records import queue_for
from common.settings import Settings
from worker.sweeper import Sweeper
from worker.watchdog import EXIT_STALLED, StallWatchdog, request_restart

log = logging.getLogger(__name__)
SHUTDOWN_GRACE_S = 30.0  # beyond the task time limit, before a wedged worker exits hard


def start(consumer, settings: Settings, client: redis.Redis) -> None:
    """Start the watchdog and the sweeper of the worker ``consumer`` belongs to."""
    app = consumer.app
    if settings.stall_threshold_s > 0:
        queues = sorted(queue.name for queue in consumer.task_consumer.queues)
        on_stall = partial(_on_stall, client, consumer.hostname, settings)
        watchdog = StallWatchdog(
            client, queues, partial(free_slots, consumer), settings.stall_threshold_s, on_stall
        )
        watchdog.start()
        app.autograder_watchdog = watchdog
    if settings.sweep_interval_s > 0:
        enqueue = partial(enqueue_grading, app)
        sweeper = Sweeper(client, enqueue, settings.sweep_interval_s, settings.lock_ttl_s)
        sweeper.start()
        app.autograder_sweeper = sweeper


def stop(app: Celery) -> None:
    """Stop both threads (the worker is shutting down)."""
    for name in ("autograder_watchdog", "autograder_sweeper"):
        thread = getattr(app, name, None)
        if thread is not None:
            thread.stop()


def free_slots(consumer) -> int:
    """Pool processes running no task. A task received but never started counts as free:
    a request stuck there (seen after a cancel on connection loss) must not hide a stall;
    a healthy worker starts what it received at once, and receiving is progress anyway."""
    return consumer.pool.num_processes - len(state.active_requests)


def enqueue_grading(app: Celery, submission_id: str, device: str) -> None:
    """Send the grade task of ``submission_id`` as the API does (its id is the task id)."""
    kwargs = GradeTask(submission_id=submission_id).model_dump()
    app.send_task(GRADE_TASK, kwargs=kwargs, queue=queue_for(device), task_id=submission_id)


def _on_stall(client: redis.Redis, hostname: str, settings: Settings, stalled_s: float) -> None:
    log.error(
        "stall watchdog: %s had a free slot while tasks waited in its queues for %.0f s and "
        "took none; exiting with status %d for its supervisor to start a fresh worker",
        hostname,
        stalled_s,
        EXIT_STALLED,
    )
    try:
        incidents.record(client, incidents.WORKER_STALLS)
    except redis.RedisError as exc:
        log.warning("could not count the stall: %s", exc)
    request_restart(settings.task_time_limit_s + SHUTDOWN_GRACE_S)


@signals.task_received.connect(dispatch_uid="autograder.watchdog.received")
def _on_received(sender=None, **_) -> None:
    watchdog = getattr(getattr(sender, "app", None), "autograder_watchdog", None)
    if watchdog is not None:
        watchdog.received()
