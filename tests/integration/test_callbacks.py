"""Grade callbacks: signed, retried on 5xx, never on 4xx, dead-lettered, replayable.

These tests run their own redis-server and Celery worker, so that the worker's callback
policy (loopback 127.0.0.1 allowed, short backoff, 4 tries) is set for them alone; the
receiver is a threaded http.server on 127.0.0.1 that checks every signature it gets.
"""

from __future__ import annotations

import base64
import http.server
import json
import secrets
import threading
from datetime import timedelta

import pytest
from live_services import RedisServer, own_stack, wait_until
from service_support import FIXTURES, assert_problem

from common.contracts import GradingResult, GradingStatus
from common.lms import (
    CALLBACK_TASK,
    LMS_KEYS,
    DeadLetter,
    list_dead_letters,
    push_dead_letter,
    webhook_secret,
)
from common.records import KEYS, SubmissionRecord, SubmissionStatus, utcnow
from common.settings import Settings
from common.signing import SignatureError, sign, verify
from service import create_app
from service.keys import KeyStore
from service.queue import GradingQueue
from service.store import SubmissionStore
from worker import lifecycle
from worker.callbacks import CallbackConfig, Outcome, classify, deliver
from worker.netguard import Reply

MAX_TRIES = 4
WORKER_ENV = {
    "AUTOGRADER_CALLBACK_ALLOWED_NETWORKS": "127.0.0.1/32",
    "AUTOGRADER_CALLBACK_BASE_DELAY_S": "0.05",
    "AUTOGRADER_CALLBACK_MAX_TRIES": str(MAX_TRIES),
    "AUTOGRADER_CALLBACK_TIMEOUT_S": "3",
    "AUTOGRADER_PUBLIC_URL": "https://grader.example.edu",
}
WAIT_S = 60  # an upper bound for a worker to get there, not a timing assertion


def worker_settings() -> dict[str, str]:
    """WORKER_ENV as Settings keyword arguments."""
    return {name.removeprefix("AUTOGRADER_").lower(): value for name, value in WORKER_ENV.items()}


class Receiver(http.server.ThreadingHTTPServer):
    """An LMS's callback endpoint: answers from a script, records and verifies each POST."""

    daemon_threads = True

    def __init__(self, secret: str, script: list[int], address: str = "127.0.0.1") -> None:
        super().__init__((address, 0), _Handler)
        self.secret, self.script = secret, list(script)
        self.got: list[dict] = []
        self.lock = threading.Lock()

    def url(self, path: str = "/grades") -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}{path}"

    def answers(self) -> list[int]:
        with self.lock:
            return [entry["answered"] for entry in self.got]


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            verify(self.server.secret, raw, self.headers.get("X-Autograder-Signature"))
            verified = True
        except SignatureError:
            verified = False
        with self.server.lock:
            status = (
                self.server.script.pop(0) if len(self.server.script) > 1 else self.server.script[0]
            )
            self.server.got.append(
                {"answered": status, "verified": verified, "headers": dict(self.headers)}
                | {"body": json.loads(raw), "path": self.path}
            )
        self.send_response(status)
        if status in (301, 302):
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory):
    """A redis-server and a worker of their own, with the callback settings above."""
    with own_stack(tmp_path_factory.mktemp("lms-stack"), "lms", **WORKER_ENV) as server:
        yield server


@pytest.fixture
def serve():
    started: list[Receiver] = []

    def start(receiver: Receiver) -> Receiver:
        threading.Thread(target=receiver.serve_forever, args=(0.05,), daemon=True).start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.shutdown()
        receiver.server_close()


@pytest.fixture
def lms(stack: RedisServer):
    """An integration key of a fresh course: (key id, webhook secret, bearer headers)."""
    client = stack.client()
    token, key = KeyStore(client).create("integration", f"c-{secrets.token_hex(4)}")
    return key, webhook_secret(client, key.id), {"Authorization": f"Bearer {token}"}


@pytest.fixture
def admin(stack: RedisServer) -> dict[str, str]:
    token, _ = KeyStore(stack.client()).create("admin", "*")
    return {"Authorization": f"Bearer {token}"}


def api(stack: RedisServer, **overrides):
    settings = Settings(redis_url=stack.url, rate_limits_enabled=False, **overrides)
    return create_app(settings).test_client()


def finished_submission(stack: RedisServer, key, callback_url: str, score: float = 60) -> str:
    """Store a graded submission as the worker would, without grading; return its id."""
    client = stack.client()
    record = SubmissionRecord(
        id=secrets.token_urlsafe(12),
        assignment="lecture4-numpy",
        course=key.course,
        student_id="s-7",
        filename="hw.py",
        sha256="0" * 64,
        received_at=utcnow() - timedelta(seconds=5),
        callback_url=callback_url,
        key_id=key.id,
        lms_submission_id="lms-77",
    )
    SubmissionStore(client).create(record, "x = 1\n")
    result = GradingResult(
        assignment="lecture4-numpy",
        status=GradingStatus.GRADED,
        score=score,
        max_score=100,
        duration_ms=1.0,
    )
    assert lifecycle.finish(client, record.id, SubmissionStatus.GRADED, result, utcnow())
    return record.id


def send_delivery(stack: RedisServer, submission_id: str) -> None:
    GradingQueue(stack.url, timeout_s=2).send(CALLBACK_TASK, {"submission_id": submission_id})


def callback_state(stack: RedisServer, submission_id: str) -> dict[str, str]:
    return stack.client().hgetall(KEYS.submission(submission_id))


def dead_letters_of(stack: RedisServer, submission_id: str) -> list:
    letters = list_dead_letters(stack.client(), 0, 1000)
    return [letter for letter in letters if letter.submission_id == submission_id]


def test_a_graded_webhook_submission_sends_its_signed_grade_to_the_lms(stack, lms, serve) -> None:
    key, secret, bearer = lms
    receiver = serve(Receiver(secret, [200]))
    body = {
        "lms_submission_id": "moodle-991",
        "course": key.course,
        "assignment": "lecture4-numpy",
        "student_id": "s-0042",
        "filename": "hw4.py",
        "file_base64": base64.b64encode((FIXTURES / "numpy_correct.py").read_bytes()).decode(),
        "callback_url": receiver.url("/grades?assignment=4"),
    }
    raw = json.dumps(body).encode()
    client = api(stack, callback_allowed_networks=["127.0.0.1/32"])
    headers = {"X-Autograder-Key-Id": key.id, "X-Autograder-Signature": sign(secret, raw)}
    accepted = client.post("/api/v1/webhooks/lms", data=raw, headers=headers)
    assert accepted.status_code == 202, accepted.get_data(as_text=True)
    submission_id = accepted.get_json()["id"]

    wait_until(lambda: receiver.got, WAIT_S, "the callback")

    [got] = receiver.got
    assert got["verified"] is True
    assert got["path"] == "/grades?assignment=4"
    assert got["headers"]["X-Autograder-Key-Id"] == key.id
    assert got["headers"]["X-Autograder-Delivery"] == submission_id
    payload = got["body"]
    assert payload["event"] == "submission.finished"
    assert (payload["submission_id"], payload["lms_submission_id"]) == (submission_id, "moodle-991")
    assert (payload["course"], payload["student_id"]) == (key.course, "s-0042")
    assert payload["status"] == "graded"
    assert payload["score"] == payload["max_score"] == 100
    assert payload["tests"] and all(test["passed"] for test in payload["tests"])
    assert payload["link"] == f"https://grader.example.edu/api/v1/submissions/{submission_id}"
    wait_until(lambda: callback_state(stack, submission_id).get("callback_status"), WAIT_S, "state")
    shown = client.get(f"/api/v1/submissions/{submission_id}", headers=bearer).get_json()
    assert shown["callback_status"] == "delivered"
    assert shown["callback_attempts"] == 1
    assert shown["lms_submission_id"] == "moodle-991"


def test_a_receiver_failing_three_times_gets_the_grade_exactly_once(stack, lms, serve) -> None:
    key, secret, _ = lms
    receiver = serve(Receiver(secret, [500, 503, 502, 200]))
    submission_id = finished_submission(stack, key, receiver.url())

    send_delivery(stack, submission_id)
    wait_until(
        lambda: callback_state(stack, submission_id).get("callback_status") == "delivered",
        WAIT_S,
        "delivery after three failures",
    )

    assert receiver.answers() == [500, 503, 502, 200]
    assert all(entry["verified"] for entry in receiver.got)
    assert {entry["headers"]["X-Autograder-Delivery"] for entry in receiver.got} == {submission_id}
    assert callback_state(stack, submission_id)["callback_attempts"] == "4"
    assert dead_letters_of(stack, submission_id) == []
    # A redelivered task (say, after a worker died) does not post a delivered grade again.
    config = CallbackConfig.from_settings(Settings(**worker_settings()))
    attempt, wait = deliver(stack.client(), submission_id, config, tries_before=0)
    assert (attempt.outcome, wait) == (Outcome.SKIPPED, None)
    assert len(receiver.got) == 4


def test_a_permanently_failing_receiver_lands_in_dead_letters_and_replays(
    stack, lms, admin, serve
) -> None:
    key, secret, _ = lms
    receiver = serve(Receiver(secret, [503]))
    submission_id = finished_submission(stack, key, receiver.url())

    send_delivery(stack, submission_id)
    wait_until(lambda: dead_letters_of(stack, submission_id), WAIT_S, "the dead letter")

    assert receiver.answers() == [503] * MAX_TRIES
    client = api(stack)
    listed = client.get("/api/v1/admin/dead-letters", headers=admin).get_json()
    [letter] = [item for item in listed["items"] if item["submission_id"] == submission_id]
    assert letter["tries"] == MAX_TRIES
    assert letter["url"] == receiver.url()
    assert letter["last_error"].startswith("HTTP 503")
    assert callback_state(stack, submission_id)["callback_status"] == "dead"

    receiver.script = [200]  # the LMS is back
    replayed = client.post(f"/api/v1/admin/dead-letters/{letter['id']}/replay", headers=admin)
    assert replayed.status_code == 202
    wait_until(
        lambda: callback_state(stack, submission_id).get("callback_status") == "delivered",
        WAIT_S,
        "the replayed delivery",
    )
    assert receiver.answers() == [503] * MAX_TRIES + [200]
    assert dead_letters_of(stack, submission_id) == []
    again = client.post(f"/api/v1/admin/dead-letters/{letter['id']}/replay", headers=admin)
    assert_problem(again, 404)


@pytest.mark.parametrize("status", [400, 404, 302])
def test_a_4xx_or_redirect_answer_is_not_retried(stack, lms, serve, status: int) -> None:
    key, secret, _ = lms
    receiver = serve(Receiver(secret, [status]))
    submission_id = finished_submission(stack, key, receiver.url())

    send_delivery(stack, submission_id)
    wait_until(lambda: dead_letters_of(stack, submission_id), WAIT_S, "the dead letter")

    assert receiver.answers() == [status]
    [letter] = dead_letters_of(stack, submission_id)
    assert letter.tries == 1 and letter.last_error.startswith(f"HTTP {status}")


def test_a_callback_to_an_address_outside_the_policy_is_refused_at_delivery(
    stack, lms, serve
) -> None:
    key, secret, _ = lms
    receiver = serve(Receiver(secret, [200], address="127.0.0.2"))  # the worker allows .1 only
    submission_id = finished_submission(stack, key, receiver.url())

    send_delivery(stack, submission_id)
    wait_until(lambda: dead_letters_of(stack, submission_id), WAIT_S, "the dead letter")

    assert receiver.got == []
    [letter] = dead_letters_of(stack, submission_id)
    assert letter.tries == 1 and letter.last_error.startswith("refused")


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9/cb", "http://10.0.0.8/cb", "http://[::1]/cb", "http://0.0.0.0/"]
)
def test_a_callback_to_a_private_address_is_refused_by_default(stack, lms, url: str) -> None:
    _, _, bearer = lms
    body = {"assignment": "lecture4-numpy", "source": "x = 1\n", "callback_url": url}
    answer = api(stack).post("/api/v1/submissions", headers=bearer, json=body)
    assert assert_problem(answer, 422, "invalid-submission")["reason"] == "address_not_allowed"


def test_loopback_callbacks_are_accepted_when_explicitly_allowed(stack, lms) -> None:
    _, _, bearer = lms
    body = {
        "assignment": "lecture4-numpy",
        "source": "x = 1\n",
        "callback_url": "http://127.0.0.1:9/",
    }
    client = api(stack, callback_allowed_networks=["127.0.0.1/32"])
    assert client.post("/api/v1/submissions", headers=bearer, json=body).status_code == 202


def test_a_callback_needs_a_key_with_a_webhook_secret(stack, lms) -> None:
    key, _, bearer = lms
    stack.client().hdel(LMS_KEYS.webhook_secrets, key.id)
    body = {
        "assignment": "lecture4-numpy",
        "source": "x = 1\n",
        "callback_url": "http://127.0.0.1:9/",
    }
    client = api(stack, callback_allowed_networks=["127.0.0.1/32"])
    assert_problem(client.post("/api/v1/submissions", headers=bearer, json=body), 422)


def test_dead_letters_are_for_admins_only(stack, lms) -> None:
    _, _, bearer = lms
    assert_problem(api(stack).get("/api/v1/admin/dead-letters", headers=bearer), 403)
    assert_problem(api(stack).get("/api/v1/admin/dead-letters"), 401)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, Outcome.DELIVERED),
        (204, Outcome.DELIVERED),
        (500, Outcome.RETRY),
        (503, Outcome.RETRY),
        (408, Outcome.RETRY),  # the receiver asks to try later
        (429, Outcome.RETRY),
        (400, Outcome.GIVE_UP),
        (401, Outcome.GIVE_UP),
        (410, Outcome.GIVE_UP),
        (301, Outcome.GIVE_UP),  # redirects are not followed
    ],
)
def test_answers_are_classified_as_delivered_retry_or_give_up(status: int, outcome) -> None:
    assert classify(Reply(status=status, body=b"nope")).outcome is outcome


def test_backoff_is_full_jitter_under_a_doubling_cap_kept_below_the_visibility_timeout() -> None:
    settings = Settings(callback_base_delay_s=1, callback_max_delay_s=1000, visibility_timeout_s=20)
    config = CallbackConfig.from_settings(settings)
    assert config.max_delay_s == 16  # 0.8 x the visibility timeout: no early redelivery
    for tries, cap in [(1, 1), (2, 2), (3, 4), (4, 8), (5, 16), (9, 16)]:
        waits = [config.delay_after(tries) for _ in range(200)]
        assert all(0 <= wait < cap for wait in waits)
        assert max(waits) > cap / 2  # spread over the range, not a fixed step


def test_a_course_admin_sees_and_replays_only_that_courses_dead_letters(stack) -> None:
    client = stack.client()
    mine, theirs = f"c-{secrets.token_hex(4)}", f"c-{secrets.token_hex(4)}"
    letters = {
        course: DeadLetter(
            id=secrets.token_urlsafe(8),
            submission_id=secrets.token_urlsafe(8),
            course=course,
            url="https://lms.example.edu/cb",
            last_error="HTTP 503",
            tries=MAX_TRIES,
            failed_at=utcnow(),
        )
        for course in (mine, theirs)
    }
    for letter in letters.values():
        push_dead_letter(client, letter)
    token, _ = KeyStore(client).create("admin", mine)
    headers = {"Authorization": f"Bearer {token}"}
    app = api(stack)

    listed = app.get("/api/v1/admin/dead-letters?per_page=500", headers=headers).get_json()

    assert {item["course"] for item in listed["items"]} == {mine}
    assert listed["total"] == 1
    other = app.post(f"/api/v1/admin/dead-letters/{letters[theirs].id}/replay", headers=headers)
    assert_problem(other, 404)
    assert [d.id for d in list_dead_letters(client, 0, 1000) if d.course == theirs] == [
        letters[theirs].id
    ]
