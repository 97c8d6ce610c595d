"""The HTTP API's edges (issue 11, class 9): auth floods, deep JSON, callback URLs, a first start.

Each attack is refused with a problem+json answer, stores nothing, and the next honest
submission is accepted (and, in one test, graded in full by a real worker).
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from common.lms import webhook_secret
from common.records import KEYS
from common.signing import KEY_ID_HEADER, SIGNATURE_HEADER, sign
from service.keys import KeyStore

FIXTURES = Path(__file__).parents[1] / "fixtures" / "submissions"
NESTED = "[" * 50_000 + "]" * 50_000


def stored(client) -> int:
    return client.zcard(KEYS.index_all)


def submit_text(client, headers, text: str = "x = 1\n", **fields):
    body = {"assignment": "lecture4-numpy", "source": text, **fields}
    return client.post("/api/v1/submissions", headers=headers, json=body)


def assert_problem(response, status: int, slug: str | None = None) -> dict:
    """Assert an RFC 9457 problem with ``status`` (and slug), no traceback; return its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert "Traceback" not in response.get_data(as_text=True)
    body = response.get_json()
    if slug is not None:
        assert body["type"] == f"urn:autograder:problem:{slug}"
    return body


@pytest.fixture
def key(redis_server) -> dict[str, str]:
    token, _ = KeyStore(redis_server.client()).create("integration", f"e-{secrets.token_hex(3)}")
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.usefixtures("catalog")
def test_a_flood_of_junk_tokens_is_limited_per_client_address(make_client, key):
    # Each junk token once had a rate-limit bucket of its own: a flood was never limited.
    client = make_client(rate_limit_per_key="3/minute")
    for _ in range(3):
        junk = {"Authorization": f"Bearer junk-{secrets.token_hex(8)}"}
        assert_problem(client.get("/api/v1/assignments", headers=junk), 401)

    junk = {"Authorization": f"Bearer junk-{secrets.token_hex(8)}"}
    answer = client.get("/api/v1/assignments", headers=junk)
    assert_problem(answer, 429, "rate-limited")
    assert int(answer.headers["Retry-After"]) >= 1
    assert_problem(client.get("/api/v1/assignments"), 429)  # no token: the same address
    assert submit_text(client, key).status_code == 202  # a real key keeps its own bucket


@pytest.mark.usefixtures("catalog")
@pytest.mark.parametrize(
    "body",
    [
        NESTED,
        json.dumps({"assignment": "lecture4-numpy", "source": "x = 1\n"})[:-1]
        + ', "student_id": '
        + NESTED
        + "}",
    ],
    ids=["array", "inside-a-field"],
)
def test_a_deeply_nested_json_body_is_a_400_problem(make_client, key, redis_server, body):
    client, before = make_client(), stored(redis_server.client())
    answer = client.post(
        "/api/v1/submissions", headers=key, data=body, content_type="application/json"
    )
    assert_problem(answer, 400)
    assert stored(redis_server.client()) == before
    assert submit_text(client, key).status_code == 202


def test_a_deeply_nested_signed_webhook_body_is_a_400_problem(make_client, redis_server):
    client = redis_server.client()
    _, api_key = KeyStore(client).create("integration", f"w-{secrets.token_hex(3)}")
    raw, before = NESTED.encode(), stored(client)
    headers = {
        KEY_ID_HEADER: api_key.id,
        SIGNATURE_HEADER: sign(webhook_secret(client, api_key.id), raw),
    }
    answer = make_client().post(
        "/api/v1/webhooks/lms", data=raw, headers=headers, content_type="application/json"
    )
    assert_problem(answer, 400)
    assert stored(client) == before


@pytest.mark.usefixtures("catalog")
def test_a_refused_callback_url_does_not_echo_the_resolved_address(make_client, key):
    body = {
        "assignment": "lecture4-numpy",
        "source": "x = 1\n",
        "callback_url": "http://localhost:9/cb",
    }
    answer = make_client(rate_limits_enabled=False).post(
        "/api/v1/submissions", headers=key, json=body
    )
    problem = assert_problem(answer, 422, "invalid-submission")
    assert problem["reason"] == "address_not_allowed"
    assert "127.0.0.1" not in answer.get_data(as_text=True)
    assert "::1" not in answer.get_data(as_text=True)


def test_before_any_worker_published_the_catalog_submissions_get_503(make_settings, fresh_redis):
    from service import create_app
    from worker.catalog_publisher import build_catalog, publish

    settings = make_settings(redis_url=fresh_redis.url)
    client = create_app(settings).test_client()
    token, _ = KeyStore(fresh_redis.client()).create("integration", "first-start")
    key = {"Authorization": f"Bearer {token}"}

    answer = submit_text(client, key)
    problem = assert_problem(answer, 503, "catalog-unknown")
    assert int(answer.headers["Retry-After"]) >= 1 and "no grading worker" in problem["detail"]
    assert stored(fresh_redis.client()) == 0
    assert client.get("/readyz").status_code == 503

    publish(fresh_redis.client(), build_catalog())  # what a worker does when it starts
    assert submit_text(client, key).status_code == 202  # as soon as a worker has started
    answer = submit_text(client, key, assignment="no-such-pack")
    assert_problem(answer, 422, "unknown-assignment")  # an unknown name is still the sender's


@pytest.mark.slow
@pytest.mark.usefixtures("celery_worker")
def test_after_the_edge_attacks_a_correct_submission_grades_in_full(make_client, key):
    client = make_client(rate_limits_enabled=False)
    client.post("/api/v1/submissions", headers=key, data=NESTED, content_type="application/json")
    source = (FIXTURES / "numpy_correct.py").read_text()
    accepted = submit_text(client, key, text=source)
    url = accepted.get_json()["links"]["submission"]
    done = client.get(f"{url}?wait=30", headers=key).get_json()
    assert (done["status"], done["score"]) == ("graded", 100)
