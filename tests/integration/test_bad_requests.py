"""Every kind of bad request gets the right 4xx as application/problem+json, and is not stored."""

from __future__ import annotations

import base64
import io
import json
import secrets

import pytest
from service_support import assert_problem, submit_text

from common.records import KEYS

pytestmark = pytest.mark.usefixtures("catalog")

NOTEBOOK_OK = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


@pytest.fixture
def course_key(make_key):
    """An integration key of a course of its own, so nothing else lands in its index."""
    course = f"bad-{secrets.token_hex(4)}"
    return course, make_key("integration", course)


def post_file(client, headers, name, data: bytes, **fields):
    form = {"assignment": "lecture4-numpy", **fields, "file": (io.BytesIO(data), name)}
    return client.post("/api/v1/submissions", headers=headers, data=form)


@pytest.mark.parametrize(
    ("name", "data", "fields", "status", "slug"),
    [
        ("hw.txt", b"x = 1\n", {}, 422, "invalid-submission"),
        ("hw.PY", b"x = 1\n", {}, 422, "invalid-submission"),
        (".py", b"x = 1\n", {}, 422, "invalid-submission"),
        ("dir/hw.py", b"x = 1\n", {}, 422, "invalid-submission"),
        ("hw\x00.py", b"x = 1\n", {}, 422, "invalid-submission"),
        ("hw.py", b"", {}, 422, "invalid-submission"),
        ("hw.py", b"  \n\n", {}, 422, "invalid-submission"),
        ("hw.py", b"x = '\xff\xfe'\n", {}, 422, "invalid-submission"),
        ("hw.py", b"x = 1\n" * 2_000, {}, 413, "too-large"),  # 12 kB over a 10 kB cap
        ("hw.ipynb", b"{not json", {}, 422, "invalid-submission"),
        ("hw.ipynb", b"[1, 2]", {}, 422, "invalid-submission"),
        ("hw.ipynb", json.dumps({**NOTEBOOK_OK, "nbformat": 3}).encode(), {}, 422, None),
        ("hw.ipynb", json.dumps({"cells": [{"cell_type": "code"}]}).encode(), {}, 422, None),
        ("hw.py", b"x = 1\n", {"assignment": "no-such-thing"}, 422, "unknown-assignment"),
        ("hw.py", b"x = 1\n", {"assignment": "bad id!"}, 422, "validation-error"),
        ("hw.py", b"x = 1\n", {"device": "cuda"}, 422, "invalid-submission"),
        ("hw.py", b"x = 1\n", {"device": "tpu"}, 422, "validation-error"),
        ("hw.py", b"x = 1\n", {"student_id": "a b"}, 422, "validation-error"),
        ("hw.py", b"x = 1\n", {"callback_url": "ftp://x"}, 422, "validation-error"),
        ("hw.py", b"x = 1\n", {"colour": "blue"}, 422, "validation-error"),
    ],
    ids=lambda v: repr(v)[:30] if isinstance(v, bytes | str) else None,
)
def test_bad_upload_is_refused_with_a_problem(
    make_client, redis_server, course_key, name, data, fields, status, slug
):
    course, auth = course_key
    response = post_file(make_client(max_upload_bytes=10_000), auth, name, data, **fields)

    assert_problem(response, status, slug)
    assert redis_server.client().zcard(KEYS.index_course(course)) == 0


def test_path_in_the_filename_is_refused(make_client, course_key):
    # Werkzeug keeps the client's name as sent; a name with a folder is refused, not cleaned.
    _, auth = course_key
    response = post_file(make_client(), auth, "../../etc/hw.py", b"x = 1\n")
    assert_problem(response, 422, "invalid-submission")


def test_valid_notebook_without_cell_ids_is_accepted(make_client, course_key):
    _, auth = course_key
    notebook = {
        **NOTEBOOK_OK,
        "cells": [
            {
                "cell_type": "code",
                "metadata": {},
                "source": "x=1",
                "outputs": [],
                "execution_count": None,
            }
        ],
    }
    response = post_file(make_client(), auth, "hw.ipynb", json.dumps(notebook).encode())
    assert response.status_code == 202


@pytest.mark.parametrize(
    ("body", "status", "slug"),
    [
        ({"assignment": "lecture4-numpy"}, 422, "invalid-submission"),
        ({"assignment": "lecture4-numpy", "source": "x=1", "notebook_base64": "e30="}, 422, None),
        ({"assignment": "lecture4-numpy", "notebook_base64": "%%%"}, 422, "invalid-submission"),
        ({"source": "x = 1\n"}, 422, "validation-error"),
        ({"assignment": "lecture4-numpy", "source": 42}, 422, "validation-error"),
        ({"assignment": "lecture4-numpy", "source": "x=1", "filename": "x.sh"}, 422, None),
        ({"assignment": "lecture4-numpy", "source": "x=1", "filename": "../x.py"}, 422, None),
        ({"assignment": "lecture4-numpy", "source": "x=1", "filename": "a\\b.py"}, 422, None),
        ([1, 2, 3], 422, "validation-error"),
    ],
)
def test_bad_json_submission_is_refused(make_client, course_key, body, status, slug):
    _, auth = course_key
    response = make_client().post("/api/v1/submissions", headers=auth, json=body)
    assert_problem(response, status, slug)


def test_malformed_json_body_is_a_400(make_client, course_key):
    _, auth = course_key
    response = make_client().post(
        "/api/v1/submissions", headers=auth, data="{oops", content_type="application/json"
    )
    assert_problem(response, 400, "bad-request")


def test_other_content_type_is_a_415(make_client, course_key):
    _, auth = course_key
    response = make_client().post(
        "/api/v1/submissions", headers=auth, data="x = 1", content_type="text/plain"
    )
    assert_problem(response, 415, "unsupported-media-type")


def test_body_far_over_the_cap_is_a_413_before_parsing(make_client, course_key):
    _, auth = course_key
    source = "x = 1\n" * 100_000  # 600 kB: the body cap of a 100 kB file limit is ~265 kB
    response = submit_text(make_client(max_upload_bytes=100_000), auth, source)
    assert_problem(response, 413)


def test_base64_notebook_over_the_cap_is_a_413(make_client, course_key):
    _, auth = course_key
    big = base64.b64encode(b" " * 150_000).decode()
    body = {"assignment": "lecture4-numpy", "notebook_base64": big}
    response = make_client(max_upload_bytes=100_000).post(
        "/api/v1/submissions", headers=auth, json=body
    )
    assert_problem(response, 413, "too-large")


@pytest.mark.parametrize(
    "query", ["wait=31", "wait=-1", "wait=soon", "per_page=0", "per_page=101", "status=done"]
)
def test_bad_query_parameters_are_422(make_client, course_key, query):
    _, auth = course_key
    client = make_client()
    path = "/api/v1/submissions/whatever" if query.startswith("wait") else "/api/v1/submissions"
    assert_problem(client.get(f"{path}?{query}", headers=auth), 422, "validation-error")


def test_unknown_route_and_wrong_method_are_problems(make_client, course_key):
    _, auth = course_key
    client = make_client()
    assert_problem(client.get("/api/v1/nothing-here", headers=auth), 404)
    response = client.delete("/api/v1/submissions", headers=auth)
    assert_problem(response, 405)
    assert "POST" in response.headers["Allow"]


def test_unknown_submission_and_assignment_are_404(make_client, course_key):
    _, auth = course_key
    client = make_client()
    assert_problem(client.get("/api/v1/submissions/nope", headers=auth), 404, "not-found")
    assert_problem(client.get("/api/v1/assignments/nope", headers=auth), 404, "not-found")
    assert_problem(
        client.get("/api/v1/assignments/lecture4-numpy/starter?format=doc", headers=auth), 422
    )
