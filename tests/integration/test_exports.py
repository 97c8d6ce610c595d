"""Gradebook CSV per course and assignment (admin only), and `autograder regrade`."""

from __future__ import annotations

import csv
import io
import json
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from service_support import FIXTURES, assert_problem

from autograder.cli import main
from common.contracts import Flag, GradingResult, GradingStatus
from common.records import KEYS, SubmissionRecord, SubmissionStatus, utcnow
from service.store import SubmissionStore
from worker import lifecycle

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class Course:
    """A fresh course in the session Redis, with submissions stored as the worker would."""

    def __init__(self, client) -> None:
        self.client, self.id = client, f"gb-{secrets.token_hex(4)}"
        self.store = SubmissionStore(client)

    def submit(
        self,
        student: str | None,
        status: SubmissionStatus,
        score: float = 0,
        minutes: int = 0,
        assignment: str = "lecture4-numpy",
        course: str | None = None,
        source: str = "x = 1\n",
        filename: str = "hw.py",
        flags: int = 0,
    ) -> str:
        record = SubmissionRecord(
            id=secrets.token_urlsafe(12),
            assignment=assignment,
            course=course or self.id,
            student_id=student,
            filename=filename,
            sha256="0" * 64,
            received_at=T0 + timedelta(minutes=minutes),
        )
        self.store.create(record, source)
        if status.is_final:
            result = GradingResult(
                assignment=assignment,
                status=GradingStatus(status.value),
                score=score,
                max_score=100,
                duration_ms=1.0,
                flags=[Flag(kind="reflection", message="line 1: imports gc")] * flags,
            )
            assert lifecycle.finish(self.client, record.id, status, result, utcnow())
        return record.id

    def received_at(self, submission_id: str) -> str:
        return self.client.hget(KEYS.submission(submission_id), "received_at")


@pytest.fixture
def course(redis_server) -> Course:
    return Course(redis_server.client())


def gradebook(client, course: str, headers, assignment: str = "lecture4-numpy"):
    url = f"/api/v1/courses/{course}/assignments/{assignment}/gradebook.csv"
    return client.get(url, headers=headers)


def test_the_gradebook_has_one_row_per_student_with_best_and_latest_scores(
    make_client, admin_auth, course: Course
) -> None:
    graded, not_gradable = SubmissionStatus.GRADED, SubmissionStatus.NOT_GRADABLE
    course.submit("alice", graded, 40, minutes=1)
    course.submit("alice", graded, 90, minutes=2)
    alice_last = course.submit("alice", graded, 70, minutes=3)
    bob_first = course.submit("bob", not_gradable, minutes=1)
    course.submit("bob", SubmissionStatus.FAILED, minutes=2)  # ours: not charged
    course.submit("bob", SubmissionStatus.QUEUED, minutes=3)
    course.submit("carol", SubmissionStatus.FAILED, minutes=1)
    course.submit(None, graded, 100, minutes=1)  # anonymous: no row
    course.submit("alice", graded, 100, minutes=9, course="another-course")
    course.submit("alice", graded, 100, minutes=9, assignment="lecture4-torch")

    answer = gradebook(make_client(), course.id, admin_auth)

    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    assert (
        f'filename="{course.id}-lecture4-numpy-gradebook.csv"'
        in answer.headers["Content-Disposition"]
    )
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert rows == [
        {
            "student_id": "alice",
            "best_score": "90.0",
            "latest_score": "70.0",
            "max_score": "100.0",
            "attempts": "3",
            "pending": "0",
            "last_submission_at": course.received_at(alice_last),
            "flagged": "0",
            "score": "70.0",
            "late": "false",
        },
        {
            "student_id": "bob",
            "best_score": "0.0",
            "latest_score": "0.0",
            "max_score": "100.0",
            "attempts": "1",
            "pending": "1",
            "last_submission_at": course.received_at(bob_first),
            "flagged": "0",
            "score": "0.0",
            "late": "false",
        },
        {
            "student_id": "carol",
            "best_score": "",
            "latest_score": "",
            "max_score": "",
            "attempts": "0",
            "pending": "0",
            "last_submission_at": "",
            "flagged": "0",
            "score": "",
            "late": "",
        },
    ]


@pytest.mark.usefixtures("catalog")
def test_an_empty_gradebook_of_a_known_course_is_just_the_header(
    make_client, make_key, course: Course
) -> None:
    auth = make_key("admin", course.id)  # the course exists: it has a key, no submission yet
    answer = gradebook(make_client(), course.id, auth)
    assert answer.status_code == 200
    assert answer.get_data(as_text=True) == (
        "student_id,best_score,latest_score,max_score,attempts,pending,last_submission_at,"
        "flagged,score,late\n"
    )


def test_the_gradebook_counts_each_students_flagged_submissions(
    make_client, admin_auth, course: Course
) -> None:
    graded = SubmissionStatus.GRADED
    course.submit("dora", graded, 100, minutes=1, flags=2)
    course.submit("dora", graded, 100, minutes=2, flags=1)
    course.submit("dora", graded, 50, minutes=3)
    course.submit("erin", graded, 100, minutes=1)
    rows = csv.DictReader(io.StringIO(gradebook(make_client(), course.id, admin_auth).text))
    assert {row["student_id"]: row["flagged"] for row in rows} == {"dora": "2", "erin": "0"}


def test_cells_that_a_spreadsheet_would_run_as_formulas_are_quoted() -> None:
    from service.exports import StudentRow, to_csv

    text = to_csv([StudentRow("=HYPERLINK(1)"), StudentRow("-1+2"), StudentRow("ok")])
    assert [line.split(",")[0] for line in text.splitlines()[1:]] == [
        "'=HYPERLINK(1)",
        "'-1+2",
        "ok",
    ]


def test_the_gradebook_is_for_admins_of_the_course(make_client, make_key, course: Course) -> None:
    client = make_client()
    assert_problem(gradebook(client, course.id, make_key("integration", course.id)), 403)
    assert_problem(gradebook(client, course.id, make_key("admin", "other-course")), 404)
    assert gradebook(client, course.id, make_key("admin", course.id)).status_code == 200
    assert_problem(gradebook(client, course.id, {}), 401)


def test_regrade_replaces_stale_results_and_reports_changed_scores(
    redis_server, course: Course, capsys
) -> None:
    graded = SubmissionStatus.GRADED
    correct = (FIXTURES / "numpy_correct.py").read_text()
    broken = (FIXTURES / "numpy_syntax_error.py").read_text()
    stale = course.submit("alice", graded, 10, source=correct)  # graded by an older pack
    now_broken = course.submit("bob", graded, 50, source=broken)
    waiting = course.submit("carol", SubmissionStatus.QUEUED, source=correct)

    code = main(
        ["regrade", "--assignment", "lecture4-numpy", "--course", course.id]
        + ["--redis-url", redis_server.url, "--json"]
    )

    assert code == 0
    out, err = capsys.readouterr()
    summary = json.loads(out)
    assert summary["regraded"] == 2 and summary["errors"] == 0
    assert sorted((c["id"], c["old"], c["new"]) for c in summary["changed"]) == sorted(
        [(stale, 10.0, 100.0), (now_broken, 50.0, 0.0)]
    )
    assert "[" in err and "changed" in err  # the progress bar
    client = redis_server.client()
    fixed = SubmissionRecord.from_redis(client.hgetall(KEYS.submission(stale)))
    assert fixed.result.score == fixed.score == 100 and fixed.regraded_at is not None
    moved = SubmissionRecord.from_redis(client.hgetall(KEYS.submission(now_broken)))
    assert moved.status is SubmissionStatus.NOT_GRADABLE
    assert client.zscore(KEYS.index_status("not_gradable"), now_broken) is not None
    assert client.zscore(KEYS.index_status("graded"), now_broken) is None
    assert client.hget(KEYS.submission(waiting), "regraded_at") is None


def test_regrade_prints_a_readable_summary(redis_server, course: Course, capsys) -> None:
    correct = (FIXTURES / "numpy_correct.py").read_text()
    stale = course.submit("dora", SubmissionStatus.GRADED, 10, source=correct)

    args = ["regrade", "--assignment", "lecture4-numpy", "--course", course.id]
    assert main(args + ["--redis-url", redis_server.url]) == 0

    out = capsys.readouterr().out
    assert f"{stale}  dora  10.0 -> 100.0" in out
    assert "1 scores changed" in out


def test_regrade_with_a_course_counts_only_that_courses_submissions(
    redis_server, course: Course, capsys
) -> None:
    ours = course.submit("erin", SubmissionStatus.GRADED, 10, source="x = 1\n")
    course.submit("fay", SubmissionStatus.GRADED, 10, course=f"{course.id}-other")

    args = ["regrade", "--assignment", "lecture4-numpy", "--course", course.id, "--json"]
    assert main(args + ["--redis-url", redis_server.url]) == 0

    summary = json.loads(capsys.readouterr().out)
    assert (summary["total"], summary["regraded"], summary["skipped"]) == (1, 1, 0)
    assert [c["id"] for c in summary["changed"]] == [ours]


def test_regrade_of_an_unknown_assignment_is_one_line_and_exit_2(redis_server, capsys) -> None:
    code = main(["regrade", "--assignment", "nope", "--redis-url", redis_server.url])
    assert code == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("autograder regrade: unknown assignment 'nope'")
    assert len(err.strip().splitlines()) == 1


@pytest.mark.usefixtures("catalog")
def test_a_gradebook_of_an_unknown_assignment_or_course_is_404(
    make_client, make_key, admin_auth, course: Course
) -> None:
    client = make_client()
    course.submit("gil", SubmissionStatus.GRADED, 50)
    assert_problem(gradebook(client, course.id, admin_auth, assignment="no-such-pack"), 404)
    unknown = assert_problem(gradebook(client, f"{course.id}-nope", admin_auth), 404)
    assert "no course" in unknown["detail"]
    make_key("integration", "CS5242-" + course.id)
    wrong_case = gradebook(client, "cs5242-" + course.id, admin_auth)
    assert "case-sensitive" in assert_problem(wrong_case, 404)["detail"]
    assert gradebook(client, course.id, admin_auth).status_code == 200


def test_a_submission_without_a_student_id_gets_an_anonymous_gradebook_line(
    make_client, make_key
) -> None:
    from service_support import submit_text

    course_id = f"anon-{secrets.token_hex(4)}"
    auth = make_key("admin", course_id)
    client = make_client()
    accepted = submit_text(client, auth, course=course_id)
    assert accepted.status_code == 202, accepted.get_json()
    submission_id = accepted.get_json()["id"]
    record = client.get(f"/api/v1/submissions/{submission_id}", headers=auth).get_json()
    assert record["student_id"] == "anonymous." + submission_id.replace("_", ".")
    rows = list(csv.DictReader(io.StringIO(gradebook(client, course_id, auth).get_data(True))))
    assert [row["student_id"] for row in rows] == [record["student_id"]]
