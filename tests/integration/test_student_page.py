"""The student page shows only the student's own submissions, and hidden outcomes only
once the assignment's release setting allows."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from lti_platform import Link, Platform
from lti_support import TOOL, login_and_launch, register
from service_support import store_submission

from common.assignment_settings import AssignmentSettings, HiddenRelease, save_assignment_settings
from common.contracts import GradingResult, GradingStatus, TestResult, Visibility
from common.lti.launches import student_id_for
from common.records import SubmissionStatus, utcnow
from worker import lifecycle

HIDDEN_SENTENCE = "softmax returned nan for large scores"


@pytest.fixture(scope="module")
def platform():
    with Platform() as emulator:
        emulator.tool_launch_url = f"{TOOL}/lti/launch"
        emulator.add_user("alice")
        emulator.add_link(Link("link", {"assignment": "lecture4-numpy"}))
        yield emulator


def graded(client, course: str, student_id: str, filename: str) -> None:
    tests = [
        TestResult(name="softmax: random", function="softmax", passed=True, score=5,
                   max_score=5, message="", visibility=Visibility.VISIBLE),
        TestResult(name="softmax: magnitude 1e4", function="softmax", passed=False, score=0,
                   max_score=5, message=HIDDEN_SENTENCE, visibility=Visibility.HIDDEN),
    ]  # fmt: skip
    result = GradingResult(assignment="lecture4-numpy", status=GradingStatus.GRADED, score=5,
                           max_score=10, tests=tests, duration_ms=1, device="cpu")  # fmt: skip
    record = store_submission(client, course=course, student_id=student_id, filename=filename)
    lifecycle.finish(client, record.id, SubmissionStatus.GRADED, result, utcnow())


def test_hidden_outcomes_show_only_after_the_due_date_and_only_my_own_work(
    make_client, redis_server, catalog, platform
):
    client = make_client(callback_allow_private=True, rate_limits_enabled=False)
    redis = redis_server.client()
    registration = register(redis, platform)
    course = registration.course
    me = student_id_for(platform.issuer, "user-alice")
    graded(redis, course, me, "mine.py")
    graded(redis, course, "lti.someoneelse", "theirs.py")
    assert login_and_launch(client, platform, "alice", "link")[0].status_code == 302
    due = utcnow() + timedelta(days=1)
    settings = AssignmentSettings(due_at=due, hidden_release=HiddenRelease.AFTER_DUE)
    save_assignment_settings(redis, course, "lecture4-numpy", settings)

    before = client.get("/student/", base_url=TOOL).get_data(as_text=True)
    assert "mine.py" in before and "theirs.py" not in before
    assert "results not released yet" in before and HIDDEN_SENTENCE not in before
    assert 'class="case withheld"' in before and 'class="case failed"' not in before
    status = client.get("/student/status", base_url=TOOL).get_json()
    assert status["pending"] is False and HIDDEN_SENTENCE not in status["html"]

    settings = AssignmentSettings(
        due_at=utcnow() - timedelta(minutes=1), hidden_release=HiddenRelease.AFTER_DUE
    )
    save_assignment_settings(redis, course, "lecture4-numpy", settings)
    after = client.get("/student/", base_url=TOOL).get_data(as_text=True)
    assert HIDDEN_SENTENCE in after and 'class="case failed"' in after
    assert "theirs.py" not in after


def test_the_student_page_needs_a_launch(make_client):
    response = make_client().get("/student/", base_url=TOOL)
    assert response.status_code == 401 and "open this assignment from your" in response.get_data(
        as_text=True
    )


def test_students_behind_one_address_have_budgets_of_their_own_and_upload_limits(
    make_settings, redis_server, catalog, platform
):
    """A class in one lab shares one NAT address: each launched student has a request
    bucket of their own, and the page's uploads have the per-student submission limit."""
    from service import create_app

    platform.add_user("bob")
    limits = {"rate_limit_per_key": "8/minute", "rate_limit_per_student": "1/minute"}
    app = create_app(make_settings(callback_allow_private=True, **limits))
    register(redis_server.client(), platform)
    alice, bob = app.test_client(), app.test_client()  # two browsers, one address
    for browser, user in ((alice, "alice"), (bob, "bob")):
        assert login_and_launch(browser, platform, user, "link")[0].status_code == 302

    page = alice.get("/student/", base_url=TOOL).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    uploads = [
        alice.post(
            "/student/submissions",
            base_url=TOOL,
            data={"csrf_token": token, "file": (io.BytesIO(b"x = 1\n"), "hw.py")},
        ).status_code
        for _ in range(2)
    ]
    assert uploads == [303, 429]
    statuses = [alice.get("/student/", base_url=TOOL).status_code for _ in range(8)]
    assert 429 in statuses  # alice spent her own budget...
    assert bob.get("/student/", base_url=TOOL).status_code == 200  # ...not bob's
