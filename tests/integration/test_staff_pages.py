"""The staff pages over the Flask test client: sign-in with a key, sessions ended by
revocation, CSRF on every form, the settings form's validation, the table's filters."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

import pytest

from service.keys import KeyStore

pytestmark = pytest.mark.usefixtures("catalog")
HTTPS = "https://localhost"  # the session cookie is Secure
DASHBOARD = "/staff/courses/{course}/assignments/lecture4-numpy"


@pytest.fixture
def course() -> str:
    return f"pg-{secrets.token_hex(4)}"


def token(client, path: str = "/staff/login") -> str:
    page = client.get(path, base_url=HTTPS).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(client, key: str):
    return client.post(
        "/staff/login", data={"key": key, "csrf_token": token(client)}, base_url=HTTPS
    )


def test_a_staff_key_signs_in_and_sees_its_course_only(make_client, redis_server, course):
    client = make_client()
    secret, _ = KeyStore(redis_server.client()).create("admin", course, name="Dr. Tutor")
    answer = sign_in(client, secret)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/staff/")
    page = client.get("/staff/", base_url=HTTPS).get_data(as_text=True)
    assert course in page and "Dr. Tutor" in page
    assert client.get(DASHBOARD.format(course=course), base_url=HTTPS).status_code == 200
    assert client.get(DASHBOARD.format(course="another"), base_url=HTTPS).status_code == 403


@pytest.mark.parametrize("role", ["integration", None])
def test_integration_and_unknown_keys_cannot_sign_in(make_client, redis_server, course, role):
    client = make_client()
    secret = KeyStore(redis_server.client()).create(role, course)[0] if role else "agk_nope"
    answer = sign_in(client, secret)
    assert answer.status_code == 401
    assert "not a staff key" in answer.text if role else "not known" in answer.text
    assert client.get(DASHBOARD.format(course=course), base_url=HTTPS).status_code == 401


def test_revoking_the_key_ends_its_session(make_client, redis_server, course):
    client, store = make_client(), KeyStore(redis_server.client())
    secret, key = store.create("admin", course)
    sign_in(client, secret)
    assert client.get(DASHBOARD.format(course=course), base_url=HTTPS).status_code == 200
    store.revoke(key.id)
    assert client.get(DASHBOARD.format(course=course), base_url=HTTPS).status_code == 401


def test_forms_without_the_csrf_token_are_refused(make_client, redis_server, course):
    client = make_client()
    sign_in(client, KeyStore(redis_server.client()).create("admin", course)[0])
    url = DASHBOARD.format(course=course)
    assert client.post(f"{url}/regrade", base_url=HTTPS).status_code == 400
    assert client.post(f"{url}/settings", data={}, base_url=HTTPS).status_code == 400


def test_the_settings_form_saves_a_local_due_date_and_refuses_bad_input(
    make_client, make_key, redis_server, course
):
    client = make_client()
    sign_in(client, KeyStore(redis_server.client()).create("admin", course)[0])
    url = f"{DASHBOARD.format(course=course)}/settings"
    form = {
        "csrf_token": token(client, url),
        "due_date": "2026-07-01",
        "due_time": "12:00",
        "timezone": "America/New_York",
        "late_policy": "refuse",
        "max_submissions": "5",
        "score_counts": "best",
        "hidden_release": "after_due",
    }
    assert client.post(url, data=form, base_url=HTTPS).status_code == 302
    api = f"/api/v1/courses/{course}/assignments/lecture4-numpy/settings"
    saved = make_client().get(api, headers=make_key("admin", course)).get_json()
    assert datetime.fromisoformat(saved["due_at"]) == datetime(2026, 7, 1, 16, 0, tzinfo=UTC)
    assert (saved["late_policy"], saved["max_submissions"]) == ("refuse", 5)
    bad = dict(form, due_time="", max_submissions="-1")
    answer = client.post(url, data=bad, base_url=HTTPS)
    assert answer.status_code == 422
    assert "Give both the due date and its time" in answer.text
    assert make_client().get(api, headers=make_key("admin", course)).get_json() == saved


def test_an_unknown_regrade_job_is_404(make_client, redis_server, course):
    client = make_client()
    sign_in(client, KeyStore(redis_server.client()).create("admin", course)[0])
    assert client.get("/staff/regrades/0123456789abcdef", base_url=HTTPS).status_code == 404
