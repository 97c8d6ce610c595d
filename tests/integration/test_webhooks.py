"""POST /api/v1/webhooks/lms: signed deliveries create submissions; bad ones get a 4xx."""

from __future__ import annotations

import base64
import json
import secrets
import time

import pytest
from service_support import FIXTURES, assert_problem

from common.lms import issue_webhook_secret
from common.records import KEYS
from common.signing import sign
from service.keys import KeyStore

pytestmark = pytest.mark.usefixtures("catalog")
URL = "/api/v1/webhooks/lms"
SOURCE = (FIXTURES / "numpy_correct.py").read_bytes()


class Lms:
    """An LMS holding one integration key of its own course: signs and sends deliveries."""

    def __init__(self, client, redis_client, course: str) -> None:
        self.client, self.redis, self.course = client, redis_client, course
        token, key = KeyStore(redis_client).create("integration", course, name="lms")
        self.key_id, self.bearer = key.id, {"Authorization": f"Bearer {token}"}
        self.secret = issue_webhook_secret(redis_client, key.id)

    def body(self, **changes) -> dict:
        body = {
            "lms_submission_id": f"canvas-{secrets.token_hex(6)}",
            "course": self.course,
            "assignment": "lecture4-numpy",
            "student_id": "s-0042",
            "filename": "hw4.py",
            "file_base64": base64.b64encode(SOURCE).decode(),
        }
        return {**body, **changes}

    def send(self, body: dict | bytes, *, t: int | None = None, secret: str | None = None, **hdr):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Autograder-Key-Id": self.key_id,
            "X-Autograder-Signature": sign(secret or self.secret, raw, timestamp=t),
            **hdr,
        }
        return self.client.post(URL, data=raw, headers={k: v for k, v in headers.items() if v})

    def submissions(self) -> list[str]:
        return self.redis.zrange(KEYS.index_course(self.course), 0, -1)


@pytest.fixture
def lms(make_client, redis_server) -> Lms:
    client = make_client(rate_limits_enabled=False)
    return Lms(client, redis_server.client(), f"lms-{secrets.token_hex(4)}")


def test_a_signed_webhook_creates_a_queued_submission(lms: Lms) -> None:
    body = lms.body()
    answer = lms.send(body)
    assert answer.status_code == 202, answer.get_data(as_text=True)
    accepted = answer.get_json()
    assert accepted["lms_submission_id"] == body["lms_submission_id"]
    assert accepted["status"] == "queued" and accepted["duplicate"] is False
    assert lms.submissions() == [accepted["id"]]

    shown = lms.client.get(accepted["links"]["submission"], headers=lms.bearer).get_json()
    assert (shown["course"], shown["student_id"], shown["filename"]) == (
        lms.course,
        "s-0042",
        "hw4.py",
    )
    stored = lms.redis.hgetall(KEYS.submission(accepted["id"]))
    assert stored["lms_submission_id"] == body["lms_submission_id"]
    assert stored["key_id"] == lms.key_id
    assert lms.redis.get(KEYS.source(accepted["id"])) == SOURCE.decode()


def test_a_delivery_signed_with_another_secret_is_refused(lms: Lms) -> None:
    answer = lms.send(lms.body(), secret="whsec_not-the-right-one")
    body = assert_problem(answer, 401, "bad-signature")
    assert body["reason"] == "mismatch"
    assert lms.submissions() == []


def test_a_body_changed_after_signing_is_refused(lms: Lms) -> None:
    raw = json.dumps(lms.body()).encode()
    header = sign(lms.secret, raw)
    tampered = raw.replace(b"s-0042", b"s-0666")
    answer = lms.client.post(
        URL,
        data=tampered,
        headers={"X-Autograder-Key-Id": lms.key_id, "X-Autograder-Signature": header},
    )
    assert_problem(answer, 401, "bad-signature")
    assert lms.submissions() == []


@pytest.mark.parametrize("age_s", [301, 3600, -301])
def test_a_timestamp_outside_five_minutes_is_refused(lms: Lms, age_s: int) -> None:
    answer = lms.send(lms.body(), t=int(time.time()) - age_s)
    assert assert_problem(answer, 401, "bad-signature")["reason"] == "expired"
    assert lms.submissions() == []


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"X-Autograder-Signature": ""}, "missing"),
        ({"X-Autograder-Signature": "t=1,v1=abc"}, "malformed"),
        ({"X-Autograder-Key-Id": ""}, None),
        ({"X-Autograder-Key-Id": "0123456789ab"}, None),  # no such key
    ],
)
def test_missing_or_unknown_credentials_are_refused(lms: Lms, headers, reason) -> None:
    body = assert_problem(lms.send(lms.body(), **headers), 401, "bad-signature")
    assert body.get("reason") == reason


def test_a_replayed_request_is_refused_and_creates_nothing(lms: Lms) -> None:
    raw = json.dumps(lms.body()).encode()
    headers = {"X-Autograder-Key-Id": lms.key_id, "X-Autograder-Signature": sign(lms.secret, raw)}
    first = lms.client.post(URL, data=raw, headers=headers)
    again = lms.client.post(URL, data=raw, headers=headers)
    assert first.status_code == 202
    assert_problem(again, 409, "replayed-delivery")
    assert lms.submissions() == [first.get_json()["id"]]


def test_a_re_signed_duplicate_delivery_answers_with_the_same_submission(lms: Lms) -> None:
    body = lms.body()
    now = int(time.time())
    first = lms.send(body, t=now)
    retry = lms.send(body, t=now + 1)  # the LMS retries: same body, signed again
    assert first.status_code == 202 and retry.status_code == 200
    assert retry.get_json()["id"] == first.get_json()["id"]
    assert retry.get_json()["duplicate"] is True
    assert lms.submissions() == [first.get_json()["id"]]


def test_the_same_lms_submission_id_with_other_contents_is_a_conflict(lms: Lms) -> None:
    body = lms.body()
    assert lms.send(body).status_code == 202
    other = lms.send({**body, "student_id": "s-0043"})
    assert_problem(other, 409, "idempotency-conflict")
    assert len(lms.submissions()) == 1


def test_a_refused_delivery_can_be_fixed_and_sent_again_under_its_id(lms: Lms) -> None:
    body = lms.body(filename="hw4.txt")
    assert_problem(lms.send(body), 422, "invalid-submission")
    assert lms.send({**body, "filename": "hw4.py"}).status_code == 202


def test_a_course_outside_the_key_scope_is_forbidden(lms: Lms) -> None:
    assert_problem(lms.send(lms.body(course="someone-elses")), 403)


def test_a_revoked_key_can_no_longer_deliver(lms: Lms) -> None:
    KeyStore(lms.redis).revoke(lms.key_id)
    assert_problem(lms.send(lms.body()), 401, "bad-signature")


@pytest.mark.parametrize(
    ("changes", "status", "slug"),
    [
        ({"file_base64": "not base64!"}, 422, "invalid-submission"),
        ({"file_base64": base64.b64encode(b"\xff\xfe").decode()}, 422, "invalid-submission"),
        ({"filename": "../hw4.py"}, 422, "invalid-submission"),
        ({"assignment": "no-such-assignment"}, 422, "unknown-assignment"),
        ({"student_id": "a b"}, 422, "validation-error"),
        ({"lms_submission_id": ""}, 422, "validation-error"),
        ({"callback_url": "ftp://lms.example.edu/cb"}, 422, "validation-error"),
        ({"callback_url": "http://127.0.0.1:6379/"}, 422, "invalid-submission"),
        ({"callback_url": "http://169.254.169.254/latest"}, 422, "invalid-submission"),
        ({"colour": "blue"}, 422, "validation-error"),
        ({"file_base64": "QUJD" * 360_000}, 413, "too-large"),
    ],
)
def test_invalid_deliveries_are_refused_like_uploads(lms: Lms, changes, status, slug) -> None:
    assert_problem(lms.send(lms.body(**changes)), status, slug)
    assert lms.submissions() == []


def test_a_body_that_is_not_json_is_a_bad_request(lms: Lms) -> None:
    assert_problem(lms.send(b"{not json"), 400)
