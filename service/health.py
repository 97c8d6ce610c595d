"""Liveness and readiness: /healthz (the process answers), /readyz (it can grade)."""

from __future__ import annotations

import redis
from flask import Blueprint, Response

from common import sandbox_state
from common.heartbeats import live_workers
from common.records import KEYS, QUEUES
from service.context import services
from service.models import Health, QueueState, Readiness
from service.openapi import operation
from service.responses import json_response

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@operation("The process is up", responses={200: Health}, public=True, tags=("health",))
def healthz() -> Response:
    return json_response(Health())


@bp.get("/readyz")
@operation(
    "Ready to grade: Redis answers, a worker consumes the cpu queue and the assignments are "
    "published; per queue, its workers and waiting tasks",
    responses={200: Readiness, 503: Readiness},
    public=True,
    tags=("health",),
)
def readyz() -> Response:
    client = services().redis
    try:
        workers = live_workers(client)
        queues = {queue: queue_state(client, queue, workers[queue]) for queue in QUEUES}
        sandbox = sandbox_state.read(client, sandbox_state.live_names(client, QUEUES))
    except (redis.ConnectionError, redis.TimeoutError):
        body = Readiness(ready=False, redis=False, workers={q: 0 for q in QUEUES})
        return json_response(body, 503)
    ready = workers["cpu"] > 0 and bool(client.exists(KEYS.catalog))  # it knows the packs
    body = Readiness(ready=ready, redis=True, workers=workers, queues=queues, sandbox=sandbox)
    return json_response(body, 200 if ready else 503)


def queue_state(client: redis.Redis, queue: str, workers: int) -> QueueState:
    """How many workers consume ``queue`` and how many tasks wait in it (kombu's lists)."""
    waiting = sum(client.llen(key) for key in KEYS.broker_queue_lists(queue))
    return QueueState(workers=workers, waiting=waiting, stalled=waiting > 0 and workers == 0)
