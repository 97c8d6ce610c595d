"""POST /api/v1/webhooks/lms: an LMS pushes a submission, signed with its key's secret.

The request carries ``X-Autograder-Key-Id`` (which API key's webhook secret signed it) and
``X-Autograder-Signature: t=<unix>,v1=<hex>`` over the raw body (common/signing.py).
Checks, in order: the key and its secret exist (401), the signature matches and is fresh
(401), this exact signature was not seen before (409: a replay), the body is valid (422),
the course is within the key's scope (403). Then the submission goes through the same
intake as POST /submissions.

Replays and retries: a byte-identical request (same signature) is a replay and is refused.
An LMS that retries signs again (new timestamp); the LMS submission id is the idempotency
key, so the retry answers 200 with the submission first created, not a new one. The same
LMS submission id with a different body answers 409.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

from flask import Blueprint, Response, g, request, url_for
from pydantic import BaseModel, Field

from common.lms import LMS_KEYS, webhook_secret
from common.records import KEYS, SubmissionRecord, SubmissionStatus
from common.signing import KEY_ID_HEADER, SIGNATURE_HEADER, SignatureError, verify
from service.context import Services, services
from service.errors import (
    AuthenticationError,
    InvalidSubmissionError,
    PayloadTooLargeError,
    PermissionDeniedError,
    ProblemError,
)
from service.intake import accept
from service.jsonbody import loads_bounded
from service.keys import ApiKey
from service.models import NAME, STUDENT, SubmissionFields, SubmissionLinks
from service.openapi import operation
from service.responses import json_response

bp = Blueprint("webhooks", __name__, url_prefix="/api/v1/webhooks")
_PENDING_TTL_S = 60  # a reservation outlives a crashed request by at most this


class SignatureRefusedError(AuthenticationError):
    slug, title = "bad-signature", "The webhook signature is missing or wrong"


class ReplayedDeliveryError(ProblemError):
    status, slug, title = 409, "replayed-delivery", "This exact delivery was already received"


class DeliveryInProgressError(ProblemError):
    status, slug, title = 409, "delivery-in-progress", "This LMS submission is being received"


class IdempotencyConflictError(ProblemError):
    status, slug, title = 409, "idempotency-conflict", "This LMS submission id is taken"


class LmsSubmission(SubmissionFields):
    """The webhook body: one student's file for one assignment, as the LMS sends it.

    The submission's own fields (assignment, callback_url, device: their rules too) are
    SubmissionFields'; here course and student_id are required, and the file comes base64.
    """

    lms_submission_id: str = Field(
        pattern=r"^[\x21-\x7e]{1,200}$", description="The LMS's own id; the idempotency key."
    )
    course: str = Field(pattern=NAME, description="Must be the integration key's course.")
    student_id: str = Field(pattern=STUDENT)
    filename: str = Field(description="'hw4.py' or 'hw4.ipynb': decides how it is read.")
    file_base64: str = Field(description="The file's bytes, base64-encoded.")

    def digest(self) -> str:
        """Return a hash of every field, to tell a retry from a different request."""
        return hashlib.sha256(json.dumps(self.model_dump(), sort_keys=True).encode()).hexdigest()


class WebhookAccepted(BaseModel):
    """The answer: the submission's id (the same one for a retried delivery), and links."""

    id: str
    lms_submission_id: str
    status: SubmissionStatus
    duplicate: bool = Field(description="True if this delivery was received before.")
    links: SubmissionLinks


@bp.post("/lms")
@operation(
    "Receive a submission from an LMS (HMAC-signed; see docs/lms.md)",
    body=LmsSubmission,
    responses={202: WebhookAccepted, 200: WebhookAccepted},
    errors=(400, 401, 403, 409, 413, 422),
    public=True,
    tags=("lms",),
)
def lms() -> Response:
    ctx = services()
    raw = request.get_data(cache=False)
    key = _signed_by(ctx, raw)
    sent = _parse(raw)
    if not key.can_see(sent.course):
        raise PermissionDeniedError(f"this key acts for course {key.course!r} only")
    existing = _reserve(ctx, key.id, sent)
    if existing is not None:
        return _answer(existing, sent, duplicate=True)
    record = _accept(ctx, key, sent)
    return _answer(record, sent, duplicate=False)


def _signed_by(ctx: Services, raw: bytes) -> ApiKey:
    """Return the key whose secret signed ``raw``; refuse unknown keys, bad and seen MACs."""
    key_id = request.headers.get(KEY_ID_HEADER, "")
    if not key_id or len(key_id) > 64 or not key_id.isascii():
        raise SignatureRefusedError(f"send the signing key's id in {KEY_ID_HEADER}")
    secret = webhook_secret(ctx.redis, key_id)
    key = _key_by_id(ctx, key_id) if secret else None
    if key is None or secret is None:
        raise SignatureRefusedError(f"no API key {key_id!r} with a webhook secret")
    tolerance = ctx.settings.webhook_tolerance_s
    try:
        verified = verify(secret, raw, request.headers.get(SIGNATURE_HEADER), tolerance_s=tolerance)
    except SignatureError as exc:
        raise SignatureRefusedError(str(exc), reason=exc.reason) from None
    # Remembered while the signature could still pass the window (either side of now).
    seen = LMS_KEYS.webhook_seen(key_id, verified.signature)
    if not ctx.redis.set(seen, "1", nx=True, ex=2 * tolerance + 1):
        raise ReplayedDeliveryError(
            "a request with this signature was already received; to retry a delivery, "
            "sign it again with the current time"
        )
    return key


def _key_by_id(ctx: Services, key_id: str) -> ApiKey | None:
    digest = ctx.redis.hget(KEYS.api_keys, key_id)
    text = ctx.redis.get(KEYS.api_key(digest)) if digest else None
    return ApiKey.model_validate_json(text) if text else None


def _parse(raw: bytes) -> LmsSubmission:
    try:
        body = loads_bounded(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ProblemError("the request body is not valid JSON") from None
    return LmsSubmission.model_validate(body)


def _reserve(ctx: Services, key_id: str, sent: LmsSubmission) -> SubmissionRecord | None:
    """Claim ``sent.lms_submission_id`` for this request, or return the submission it made."""
    slot = LMS_KEYS.webhook_submission(key_id, sent.lms_submission_id)
    claim = json.dumps({"digest": sent.digest(), "submission_id": None})
    if ctx.redis.set(slot, claim, nx=True, ex=_PENDING_TTL_S):
        return None
    held = json.loads(ctx.redis.get(slot) or "{}")
    if held.get("digest") != sent.digest():
        raise IdempotencyConflictError(
            f"LMS submission {sent.lms_submission_id!r} was already sent with other contents"
        )
    record = ctx.store.get(held["submission_id"]) if held.get("submission_id") else None
    if record is None:
        raise DeliveryInProgressError(
            "this LMS submission is being received right now; retry in a few seconds",
            headers={"Retry-After": "2"},
        )
    return record


def _accept(ctx: Services, key: ApiKey, sent: LmsSubmission) -> SubmissionRecord:
    """Run the shared intake; keep the claim on success, release it on refusal."""
    slot = LMS_KEYS.webhook_submission(key.id, sent.lms_submission_id)
    fields = SubmissionFields.model_validate(
        sent.model_dump(include=set(SubmissionFields.model_fields))
    )
    try:
        data = _decode(sent.file_base64, ctx.settings.max_upload_bytes)
        record = accept(
            ctx, key, fields, sent.filename, data, g.get("received_at"), sent.lms_submission_id
        )
    except Exception:
        ctx.redis.delete(slot)  # refused or broken: the LMS may send it again, fixed
        raise
    done = json.dumps({"digest": sent.digest(), "submission_id": record.id})
    retention = ctx.settings.retention_days
    ctx.redis.set(slot, done, ex=int(retention * 86400) if retention else None)
    return record


def _decode(text: str, max_bytes: int) -> bytes:
    # Checked before decoding: base64 is 4/3 of the bytes, so a longer text is too large.
    if len(text) > 4 * (max_bytes // 3 + 1):
        raise PayloadTooLargeError(f"the file is larger than {max_bytes} bytes", limit=max_bytes)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidSubmissionError("'file_base64' is not valid base64") from None


def _answer(record: SubmissionRecord, sent: LmsSubmission, duplicate: bool) -> Response:
    url = url_for("submissions.get", submission_id=record.id)
    links = SubmissionLinks(
        submission=url, result=f"{url}/result", gradescope=f"{url}/result?format=gradescope"
    )
    body = WebhookAccepted(
        id=record.id,
        lms_submission_id=sent.lms_submission_id,
        status=record.status,
        duplicate=duplicate,
        links=links,
    )
    return json_response(body, 200 if duplicate else 202, headers={"Location": url})
