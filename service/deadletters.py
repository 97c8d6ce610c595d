"""Admin routes of undelivered grade callbacks: list the dead letters, replay one.

A dead letter is pushed by the worker when a callback gave up (common/lms.py). A
replay takes the letter off the list and queues a fresh delivery with a full set of
tries; if that fails again, a new dead letter appears.
"""

from __future__ import annotations

from typing import Literal

from flask import Blueprint, Response, request
from pydantic import BaseModel, Field

from common.lms import (
    CALLBACK_QUEUE,
    CALLBACK_TASK,
    DeadLetter,
    count_dead_letters,
    list_dead_letters,
    push_dead_letter,
    take_dead_letter,
)
from common.lti.launches import PASSBACK_TASK
from common.records import KEYS
from service.auth import require_admin, require_key
from service.context import services
from service.errors import NotFoundError
from service.keys import ALL_COURSES
from service.openapi import operation
from service.responses import json_response

bp = Blueprint("deadletters", __name__, url_prefix="/api/v1/admin/dead-letters")
require_key(bp)


class DeadLetterQuery(BaseModel):
    page: int = Field(1, ge=1, le=1_000_000)  # bounded: Redis ranges need 64-bit offsets
    per_page: int = Field(50, ge=1, le=500)


class DeadLetterPage(BaseModel):
    """Dead letters within the admin key's scope, newest first."""

    items: list[DeadLetter]
    page: int
    per_page: int
    total: int


class ReplayQueued(BaseModel):
    """A replay was queued: the callback will be delivered again, with fresh tries."""

    id: str
    submission_id: str
    status: Literal["queued"] = "queued"


@bp.get("")
@operation(
    "List grade callbacks that could not be delivered (admin)",
    query=DeadLetterQuery,
    responses={200: DeadLetterPage},
    errors=(401, 403, 422),
    tags=("lms",),
)
def index() -> Response:
    key = require_admin()
    query = DeadLetterQuery.model_validate(request.args.to_dict())
    client = services().redis
    start = (query.page - 1) * query.per_page
    if key.course == ALL_COURSES:
        items = list_dead_letters(client, start, query.per_page)
        total = count_dead_letters(client)
    else:  # a course admin sees that course's letters only
        mine = [
            d
            for d in list_dead_letters(client, 0, count_dead_letters(client))
            if key.can_see(d.course)
        ]
        items, total = mine[start : start + query.per_page], len(mine)
    page = DeadLetterPage(items=items, page=query.page, per_page=query.per_page, total=total)
    return json_response(page)


@bp.post("/<letter_id>/replay")
@operation(
    "Deliver a dead letter's callback again (admin)",
    responses={202: ReplayQueued},
    errors=(401, 403, 404),
    tags=("lms",),
)
def replay(letter_id: str) -> Response:
    key = require_admin()
    ctx = services()
    letter = take_dead_letter(ctx.redis, letter_id, allowed=lambda d: key.can_see(d.course))
    if letter is None:
        raise NotFoundError(f"no dead letter {letter_id!r} (replayed already?)")
    try:
        task = PASSBACK_TASK if letter.kind == "lti" else CALLBACK_TASK
        if task == CALLBACK_TASK:
            ctx.redis.hset(KEYS.submission(letter.submission_id), "callback_status", "pending")
        ctx.queue.send(task, {"submission_id": letter.submission_id}, CALLBACK_QUEUE)
    except Exception:
        push_dead_letter(ctx.redis, letter)  # not queued: keep it for the next replay
        raise
    return json_response(ReplayQueued(id=letter.id, submission_id=letter.submission_id), 202)
