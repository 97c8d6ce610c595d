"""Liveness and readiness: /healthz (the process answers), /readyz (it can grade)."""

from __future__ import annotations

import redis
from flask import Blueprint, Response

from autograder.heartbeats import live_workers
from autograder.records import QUEUES
from service.context import services
from service.models import Health, Readiness
from service.openapi import operation
from service.responses import json_response

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@operation("The process is up", responses={200: Health}, public=True, tags=("health",))
def healthz() -> Response:
    return json_response(Health())


@bp.get("/readyz")
@operation(
    "Ready to grade: Redis answers and a worker consumes the cpu queue",
    responses={200: Readiness, 503: Readiness},
    public=True,
    tags=("health",),
)
def readyz() -> Response:
    try:
        workers = live_workers(services().redis)
    except (redis.ConnectionError, redis.TimeoutError):
        body = Readiness(ready=False, redis=False, workers={q: 0 for q in QUEUES})
        return json_response(body, 503)
    ready = workers["cpu"] > 0
    return json_response(Readiness(ready=ready, redis=True, workers=workers), 200 if ready else 503)
