"""Rate limits per key and per student, and the per-student cap: 429 with Retry-After."""

from __future__ import annotations

import secrets

import pytest
from service_support import assert_problem, submit_text

pytestmark = pytest.mark.usefixtures("catalog")


@pytest.fixture
def auth(make_key):
    return make_key("integration", f"rl-{secrets.token_hex(3)}")


def assert_rate_limited(response, slug: str = "rate-limited") -> None:
    assert_problem(response, 429, slug)
    assert int(response.headers["Retry-After"]) >= 1


def test_student_over_the_rate_gets_429_and_others_are_not_held_back(make_client, auth):
    client = make_client(rate_limit_per_student="2/minute")
    for _ in range(2):
        assert submit_text(client, auth, student_id="eager").status_code == 202

    assert_rate_limited(submit_text(client, auth, student_id="eager"))
    assert submit_text(client, auth, student_id="patient").status_code == 202
    assert client.get("/api/v1/submissions", headers=auth).status_code == 200


def test_key_over_its_rate_gets_429_on_any_route(make_client, auth, make_key):
    client = make_client(rate_limit_per_key="3/minute")
    for _ in range(3):
        assert client.get("/api/v1/assignments", headers=auth).status_code == 200

    assert_rate_limited(client.get("/api/v1/assignments", headers=auth))
    assert_rate_limited(submit_text(client, auth))
    other = make_key("integration", "someone-else")
    assert client.get("/api/v1/assignments", headers=other).status_code == 200


def test_probes_and_docs_are_never_rate_limited(make_client, auth):
    client = make_client(rate_limit_per_key="1/minute")
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
        assert client.get("/openapi.json").status_code == 200


def test_submission_cap_per_student_and_assignment(make_client, auth):
    client = make_client(max_submissions_per_student=2)
    for _ in range(2):
        assert submit_text(client, auth, student_id="capped").status_code == 202

    body = assert_problem(submit_text(client, auth, student_id="capped"), 429, "submission-cap")
    assert "cap of 2" in body["detail"]
    assert submit_text(client, auth, student_id="other").status_code == 202


def test_limits_can_be_turned_off(make_client, auth):
    client = make_client(rate_limits_enabled=False, rate_limit_per_key="1/minute")
    for _ in range(3):
        assert client.get("/api/v1/assignments", headers=auth).status_code == 200
