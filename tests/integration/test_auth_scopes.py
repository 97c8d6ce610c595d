"""API keys: Bearer only, stored hashed, and a key sees only its own course's submissions."""

from __future__ import annotations

import secrets

import pytest
from service_support import assert_problem, submit_text

from common.records import KEYS
from service.keys import KeyStore, hash_secret

pytestmark = pytest.mark.usefixtures("catalog")


@pytest.fixture
def two_courses(make_key):
    """Two fresh courses, each with an integration key: (course, headers) pairs."""
    names = [f"course-{secrets.token_hex(3)}" for _ in range(2)]
    return [(name, make_key("integration", name)) for name in names]


def test_missing_or_unknown_key_is_401_with_a_bearer_challenge(make_client):
    client = make_client()
    for headers in ({}, {"Authorization": "Bearer agk_nope"}, {"Authorization": "Basic eDp5"}):
        response = client.get("/api/v1/assignments", headers=headers)
        assert_problem(response, 401, "unauthenticated")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_keys_are_stored_only_as_hashes(redis_server):
    store = KeyStore(redis_server.client())
    secret, key = store.create("integration", "CS9")

    stored = redis_server.client().get(KEYS.api_key(hash_secret(secret)))

    assert stored is not None and secret not in stored
    assert store.lookup(secret) == key
    assert store.lookup(secret + "x") is None


def test_key_of_one_course_cannot_see_another_courses_submission(make_client, two_courses):
    client = make_client()
    (_, auth_a), (_, auth_b) = two_courses
    submission_id = submit_text(client, auth_a).get_json()["id"]

    assert client.get(f"/api/v1/submissions/{submission_id}", headers=auth_a).status_code == 200
    for path in ("", "/result", "/result?format=gradescope"):
        response = client.get(f"/api/v1/submissions/{submission_id}{path}", headers=auth_b)
        assert_problem(response, 404, "not-found")


def test_listing_shows_only_the_keys_course(make_client, two_courses):
    client = make_client()
    (course_a, auth_a), (course_b, auth_b) = two_courses
    mine = {submit_text(client, auth_a).get_json()["id"] for _ in range(2)}
    submit_text(client, auth_b)

    listed = client.get("/api/v1/submissions", headers=auth_a).get_json()

    assert {item["id"] for item in listed["items"]} == mine
    assert {item["course"] for item in listed["items"]} == {course_a}
    response = client.get(f"/api/v1/submissions?course={course_b}", headers=auth_a)
    assert_problem(response, 403, "forbidden")


def test_integration_key_cannot_submit_for_another_course(make_client, two_courses):
    (_, auth_a), (course_b, _) = two_courses
    response = submit_text(make_client(), auth_a, course=course_b)
    assert_problem(response, 403, "forbidden")


def test_admin_key_sees_every_course_and_may_choose_one(make_client, admin_auth, two_courses):
    client = make_client()
    (course_a, auth_a), (course_b, _) = two_courses
    theirs = submit_text(client, auth_a).get_json()["id"]
    chosen = submit_text(client, admin_auth, course=course_b).get_json()["id"]

    assert client.get(f"/api/v1/submissions/{theirs}", headers=admin_auth).status_code == 200
    listed = client.get(f"/api/v1/submissions?course={course_b}", headers=admin_auth).get_json()
    assert [item["id"] for item in listed["items"]] == [chosen]


def test_admin_key_from_the_environment_needs_no_redis_record(make_client):
    secret = f"agk_{secrets.token_urlsafe(16)}"
    client = make_client(admin_key=secret)
    response = client.get("/api/v1/assignments", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200


def test_revoked_key_is_refused(make_client, redis_server):
    store = KeyStore(redis_server.client())
    secret, key = store.create("integration", "CS9")
    headers = {"Authorization": f"Bearer {secret}"}
    client = make_client()
    assert client.get("/api/v1/assignments", headers=headers).status_code == 200

    assert store.revoke(key.id)

    assert_problem(client.get("/api/v1/assignments", headers=headers), 401)


def test_listing_filters_and_pages(make_client, make_key):
    client = make_client()
    auth = make_key("integration", f"page-{secrets.token_hex(3)}")
    ids = [submit_text(client, auth, student_id="ann").get_json()["id"] for _ in range(3)]
    submit_text(client, auth, student_id="bob")

    first = client.get("/api/v1/submissions?student_id=ann&per_page=2", headers=auth).get_json()
    second = client.get(first["links"]["next"], headers=auth).get_json()

    assert first["total"] == second["total"] == 3
    assert [i["id"] for i in first["items"] + second["items"]] == ids[::-1]  # newest first
    assert first["links"]["prev"] is None and second["links"]["next"] is None
