"""The worker's Celery app, built from Settings, and what a worker does when it starts.

At start (``worker_init``, before the pool forks) the grading code is imported once, so
every child inherits it. When ready, the worker publishes the assignment catalog and
starts a heartbeat: one Redis key per consumed queue with a TTL, renewed every few
seconds, which /readyz and /metrics count. Heartbeats need no broadcast and show a queue
(e.g. ``gpu``) that nothing consumes. Beside the heartbeat run the stall watchdog and the
orphan sweeper (worker/self_heal.py).
"""

from __future__ import annotations

import logging

import redis
from celery import Celery, signals
from kombu import Queue

from common.heartbeats import Heartbeat
from common.records import QUEUES, connect
from common.settings import Settings
from reference import packs
from worker import ags, callbacks, regrade_task, self_heal, tasks

log = logging.getLogger(__name__)


def make_celery(settings: Settings | None = None) -> Celery:
    """Return the worker's Celery app for ``settings`` (read from AUTOGRADER_* when None)."""
    settings = settings or Settings()
    app = Celery("autograder", broker=settings.redis_url)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_ignore_result=True,  # results live in the submission record, not a backend
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_cancel_long_running_tasks_on_connection_loss=True,
        task_queues=[Queue(name) for name in QUEUES],
        task_default_queue="cpu",
        broker_transport_options={
            "visibility_timeout": settings.visibility_timeout_s,
            # Sweep for messages a dead worker left unacknowledged every 10 s rather than
            # kombu's default of every tenth 10 s tick, so they come back soon after
            # their visibility timeout.
            "unacked_restore_throttle": 1,
        },
        broker_connection_retry_on_startup=True,
        worker_send_task_events=False,
    )
    app.autograder_settings = settings
    packs.configure(settings.packs)  # the registry finds the course's pack folders too
    tasks.register(app, settings)
    callbacks.register(app, settings)
    ags.register(app, settings)  # LTI grade passback (issue 13)
    regrade_task.register(app, settings)  # the staff pages' regrade (issue 14)
    return app


@signals.worker_init.connect(dispatch_uid="autograder.preload")
def _preload(sender=None, **_) -> None:
    """Import the grading code before the pool forks, so children start warm."""
    import worker.grading.pipeline  # noqa: F401


@signals.worker_ready.connect(dispatch_uid="autograder.ready")
def _on_ready(sender=None, **_) -> None:
    from worker.catalog_publisher import build_catalog, build_instructions, publish  # packs

    settings: Settings = sender.app.autograder_settings
    client = connect(settings.redis_url)
    publish(client, build_catalog(), build_instructions())
    queues = sorted(queue.name for queue in sender.task_consumer.queues)
    heartbeat = Heartbeat(
        client, sender.hostname, queues, settings.heartbeat_interval_s, settings.heartbeat_ttl_s
    )
    heartbeat.start()
    sender.app.autograder_heartbeat = heartbeat
    publish_sandbox(client, sender.hostname, settings.sandbox)
    self_heal.start(sender, settings, client)  # stall watchdog and orphan sweeper
    log.info("published the catalog; heart-beating for %s on %s", sender.hostname, queues)


def publish_sandbox(client: redis.Redis, worker: str, mode: str) -> None:
    """Say which sandbox this worker grades with (/readyz, /metrics); warn if none."""
    from common import sandbox_state
    from worker.sandbox.host.isolation import probe, warn_if_unisolated

    isolation = probe(mode)
    sandbox_state.publish(client, worker, isolation.as_dict())
    warn_if_unisolated(mode)
    log.info("%s", isolation.summary())


@signals.worker_shutdown.connect(dispatch_uid="autograder.shutdown")
def _on_shutdown(sender=None, **_) -> None:
    app = getattr(sender, "app", None)
    if app is not None:
        self_heal.stop(app)
    heartbeat = getattr(app, "autograder_heartbeat", None)
    if heartbeat is not None:
        try:
            heartbeat.stop()
        except redis.RedisError as exc:
            log.warning("could not withdraw the heartbeat: %s", exc)
