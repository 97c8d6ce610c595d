"""Assignment settings per course: the API, and what intake and the gradebook do with them
(late flag, refusal after the due date, the cap, which score counts)."""

from __future__ import annotations

import csv
import io
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from service_support import assert_problem, submit_text

from common.contracts import GradingResult, GradingStatus
from common.records import KEYS, SubmissionStatus, utcnow
from worker import lifecycle

pytestmark = pytest.mark.usefixtures("catalog")
ASSIGNMENT = "lecture4-numpy"


@pytest.fixture
def course() -> str:
    return f"set-{secrets.token_hex(4)}"


@pytest.fixture
def staff(make_key, course) -> dict[str, str]:
    return make_key("admin", course)


def settings_url(course: str, assignment: str = ASSIGNMENT) -> str:
    return f"/api/v1/courses/{course}/assignments/{assignment}/settings"


def put(client, course, staff, **settings):
    answer = client.put(settings_url(course), headers=staff, json=settings)
    assert answer.status_code == 200, answer.text
    return answer.get_json()


def test_unset_settings_are_the_defaults(make_client, course, staff) -> None:
    answer = make_client().get(settings_url(course), headers=staff)
    assert answer.status_code == 200
    assert answer.get_json() == {
        "due_at": None,
        "timezone": "UTC",
        "late_policy": "accept",
        "max_submissions": 0,
        "score_counts": "latest",
        "hidden_release": "immediately",
    }


def test_settings_put_are_read_back(make_client, course, staff) -> None:
    client = make_client()
    sent = {
        "due_at": "2026-12-24T23:59:00+01:00",
        "timezone": "Europe/Berlin",
        "late_policy": "refuse",
        "max_submissions": 3,
        "score_counts": "best",
        "hidden_release": "after_due",
    }
    put(client, course, staff, **sent)
    body = client.get(settings_url(course), headers=staff).get_json()
    assert datetime.fromisoformat(body.pop("due_at")) == datetime(2026, 12, 24, 22, 59, tzinfo=UTC)
    assert body == {k: v for k, v in sent.items() if k != "due_at"}


@pytest.mark.parametrize(
    "bad",
    [
        {"timezone": "Mars/Olympus"},
        {"due_at": "2026-12-24T23:59:00"},  # no offset: ambiguous
        {"late_policy": "sometimes"},
        {"max_submissions": -1},
        {"colour": "blue"},
    ],
)
def test_invalid_settings_are_422_and_change_nothing(make_client, course, staff, bad) -> None:
    client = make_client()
    assert_problem(client.put(settings_url(course), headers=staff, json=bad), 422)
    assert client.get(settings_url(course), headers=staff).get_json()["timezone"] == "UTC"


def test_settings_are_for_staff_of_the_course(make_client, make_key, course) -> None:
    client = make_client()
    assert_problem(client.get(settings_url(course), headers=make_key("integration", course)), 403)
    assert_problem(client.get(settings_url(course), headers=make_key("admin", "other")), 404)
    other = make_key("admin", "other")
    assert_problem(client.put(settings_url(course), headers=other, json={}), 404)
    unknown = settings_url(course, "no-such-assignment")
    assert_problem(client.get(unknown, headers=make_key("admin", course)), 404)


def test_a_submission_after_the_due_date_is_marked_late(make_client, course, staff) -> None:
    client = make_client()
    put(client, course, staff, due_at=(utcnow() - timedelta(hours=1)).isoformat())
    answer = submit_text(client, staff, student_id="ann", course=course)
    assert answer.status_code == 202, answer.text
    record = client.get(answer.get_json()["links"]["submission"], headers=staff).get_json()
    assert record["late"] is True
    listed = client.get(f"/api/v1/submissions?course={course}", headers=staff).get_json()
    assert [item["late"] for item in listed["items"]] == [True]


def test_a_submission_before_the_due_date_is_not_late(make_client, course, staff) -> None:
    client = make_client()
    put(client, course, staff, due_at=(utcnow() + timedelta(hours=1)).isoformat())
    answer = submit_text(client, staff, student_id="ann", course=course)
    record = client.get(answer.get_json()["links"]["submission"], headers=staff).get_json()
    assert record["late"] is False


def test_refuse_after_the_due_date_is_403_and_stores_nothing(
    make_client, redis_server, course, staff
) -> None:
    client = make_client()
    due = datetime(2026, 1, 5, 23, 59, tzinfo=UTC)
    put(client, course, staff, due_at=due.isoformat(), late_policy="refuse", timezone="Asia/Tokyo")
    body = assert_problem(
        submit_text(client, staff, student_id="ann", course=course), 403, "deadline-passed"
    )
    assert "2026-01-06 08:59 (Asia/Tokyo)" in body["detail"]
    assert datetime.fromisoformat(body["due_at"]) == due
    assert redis_server.client().zcard(KEYS.index_course(course)) == 0


def test_the_assignments_cap_replaces_the_services(make_client, course, staff) -> None:
    client = make_client(max_submissions_per_student=10)
    put(client, course, staff, max_submissions=2)
    for _ in range(2):
        assert submit_text(client, staff, student_id="ann", course=course).status_code == 202
    assert_problem(submit_text(client, staff, student_id="ann", course=course), 429)
    assert submit_text(client, staff, student_id="ben", course=course).status_code == 202


QUIET_DB = 6  # the session's worker (if one runs) consumes db 0: it grades nothing here
QUIET_ADMIN = "quiet-admin-key-0123456789"


@pytest.fixture(scope="module")
def quiet(redis_server):
    """(make a test client, Redis client) on a database no worker reads, with the catalog."""
    from worker.catalog_publisher import build_catalog, publish

    url = f"redis://127.0.0.1:{redis_server.port}/{QUIET_DB}"
    redis = redis_server.client().__class__.from_url(url, decode_responses=True)
    publish(redis, build_catalog())
    return url, redis


def grade(redis, accepted, score: float) -> None:
    """Store a graded result for the accepted submission, as the worker would."""
    result = GradingResult(
        assignment=ASSIGNMENT,
        status=GradingStatus.GRADED,
        score=score,
        max_score=100,
        duration_ms=1,
    )
    submission_id = accepted.get_json()["id"]
    assert lifecycle.finish(redis, submission_id, SubmissionStatus.GRADED, result, utcnow())


@pytest.mark.parametrize(
    ("counts", "score", "late"), [("latest", "40.0", "true"), ("best", "90.0", "false")]
)
def test_the_gradebook_counts_latest_or_best_with_its_late_flag(
    make_client, quiet, course, counts, score, late
) -> None:
    url, redis = quiet
    client, staff = (
        make_client(redis_url=url, admin_key=QUIET_ADMIN),
        {"Authorization": f"Bearer {QUIET_ADMIN}"},
    )
    put(client, course, staff, due_at=(utcnow() + timedelta(hours=1)).isoformat())
    for points in (90, 20):
        grade(redis, submit_text(client, staff, student_id="ann", course=course), points)
    due = (utcnow() - timedelta(hours=1)).isoformat()
    put(client, course, staff, due_at=due, score_counts=counts)
    grade(redis, submit_text(client, staff, student_id="ann", course=course), 40)

    gradebook = f"/api/v1/courses/{course}/assignments/{ASSIGNMENT}/gradebook.csv"
    text = client.get(gradebook, headers=staff).get_data(as_text=True)
    (row,) = csv.DictReader(io.StringIO(text))
    assert (row["best_score"], row["latest_score"]) == ("90.0", "40.0")
    assert (row["score"], row["late"]) == (score, late)
