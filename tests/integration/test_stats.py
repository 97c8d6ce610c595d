"""GET /api/v1/courses/{course}/assignments/{assignment}/stats: exact on a seeded class.

The class (assignment worth 10: ``f`` two cases of 3, ``g`` one case of 4), each student's
latest finished submission marked *:

| student | submissions (oldest first)                         | counted score |
| ------- | -------------------------------------------------- | ------------- |
| alice   | 3 (f: wrong_axis), 10* (flagged)                   | 10            |
| bob     | 10 (flagged), 6* (g: missing_1_over_n)             | 6             |
| carol   | 3* (f: no_max_subtraction, g: missing_1_over_n)    | 3             |
| dave    | 7, not_gradable*                                   | 0             |
| erin    | 4* (f: no_max_subtraction twice), failed, queued   | 4             |
| gina    | 6* (g: missing_1_over_n)                           | 6             |
| frank   | failed                                             | (not counted) |

Numbers by hand: 6 students, 12 submissions; mean 29/6, median (4 + 6)/2 = 5; bins of
width 1: 0 -> [0,1), 3, 4, 6 (twice), 10 -> the closed last bin [9,10]. f: 6+6+3+0+0+6 =
21 points over 6 students, full marks 3 of 6; g: 4+0+0+0+4+0 = 8, full marks 2 of 6.
Diagnoses: g/missing_1_over_n 3 students (bob, carol, gina), f/no_max_subtraction 2
(carol, erin: erin's two cases count once); alice's earlier wrong_axis is not her latest;
dave's not-gradable cases name no bug. Flags: alice's latest only (bob's is not counted).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from service_support import assert_problem

from common.contracts import Flag, GradingResult, GradingStatus, TestResult, Visibility
from common.records import SubmissionRecord, SubmissionStatus, utcnow
from service.store import SubmissionStore
from worker import lifecycle

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
GRADED, NOT_GRADABLE = SubmissionStatus.GRADED, SubmissionStatus.NOT_GRADABLE
FAILED, QUEUED = SubmissionStatus.FAILED, SubmissionStatus.QUEUED


def case(function: str, index: int, score: float, diagnosis: str | None = None) -> TestResult:
    top = 3 if function == "f" else 4
    return TestResult(
        name=f"{function}: case {index}",
        function=function,
        passed=score == top,
        score=score,
        max_score=top,
        message="" if score == top else "wrong",
        visibility=Visibility.VISIBLE,
        diagnosis=diagnosis,
    )


def full(f1: float = 3, f2: float = 3, g: float = 4, diagnoses=(None, None, None)):
    return [
        case("f", 1, f1, diagnoses[0]),
        case("f", 2, f2, diagnoses[1]),
        case("g", 1, g, diagnoses[2]),
    ]


class Class:
    """A fresh course and assignment with submissions stored as the worker would."""

    def __init__(self, client) -> None:
        self.client, self.store = client, SubmissionStore(client)
        self.course = f"st-{secrets.token_hex(4)}"
        self.assignment = f"hw-{secrets.token_hex(4)}"  # not in the catalog: points from results
        self.minutes = 0

    def submit(self, student: str, status: SubmissionStatus, tests=(), flags: int = 0) -> None:
        self.minutes += 1
        record = SubmissionRecord(
            id=secrets.token_urlsafe(12),
            assignment=self.assignment,
            course=self.course,
            student_id=student,
            filename="hw.py",
            sha256="0" * 64,
            received_at=T0 + timedelta(minutes=self.minutes),
        )
        self.store.create(record, "x = 1\n")
        if not status.is_final:
            return
        result = GradingResult(
            assignment=self.assignment,
            status=GradingStatus(status.value),
            score=sum(t.score for t in tests) if status is GRADED else 0,
            max_score=10,
            tests=list(tests),
            duration_ms=1.0,
            flags=[Flag(kind="reflection", message="line 1: imports gc")] * flags,
        )
        assert lifecycle.finish(self.client, record.id, status, result, utcnow())


@pytest.fixture
def seeded(redis_server) -> Class:
    c = Class(redis_server.client())
    c.submit("alice", GRADED, full(3, 0, 0, ("wrong_axis", None, None)))
    c.submit("bob", GRADED, full(), flags=1)
    c.submit("dave", GRADED, full(3, 0, 4))
    c.submit("frank", FAILED)
    c.submit("alice", GRADED, full(), flags=2)
    c.submit("bob", GRADED, full(g=0, diagnoses=(None, None, "missing_1_over_n")))
    c.submit("carol", GRADED, full(3, 0, 0, (None, "no_max_subtraction", "missing_1_over_n")))
    c.submit("dave", NOT_GRADABLE, full(0, 0, 0, ("not_gradable",) * 3))
    c.submit("erin", GRADED, full(0, 0, 4, ("no_max_subtraction", "no_max_subtraction", None)))
    c.submit("erin", FAILED)
    c.submit("erin", QUEUED)
    c.submit("gina", GRADED, full(g=0, diagnoses=(None, None, "missing_1_over_n")))
    return c


def stats_url(c: Class) -> str:
    return f"/api/v1/courses/{c.course}/assignments/{c.assignment}/stats"


def test_the_stats_of_a_seeded_class_are_exact(make_client, make_key, seeded: Class) -> None:
    answer = make_client().get(stats_url(seeded), headers=make_key("admin", seeded.course))

    assert answer.status_code == 200, answer.text
    body = answer.get_json()
    assert body["basis"] == "latest_finished"
    assert (body["students"], body["not_gradable"], body["submissions"]) == (6, 1, 12)
    assert body["score"]["mean"] == round(29 / 6, 4)
    assert body["score"]["median"] == 5.0
    assert body["score"]["max_score"] == 10
    assert body["score"]["histogram"] == [
        {"lo": lo, "hi": lo + 1, "count": count}
        for lo, count in enumerate([1, 0, 0, 1, 1, 0, 2, 0, 0, 1])
    ]
    assert body["functions"] == [
        {"function": "f", "max_score": 6, "mean_score": 3.5, "pass_rate": 0.5},
        {"function": "g", "max_score": 4, "mean_score": round(8 / 6, 4), "pass_rate": 0.3333},
    ]
    assert [(d["function"], d["diagnosis"], d["students"]) for d in body["diagnoses"]] == [
        ("g", "missing_1_over_n", 3),
        ("f", "no_max_subtraction", 2),
    ]
    assert "1/N" in body["diagnoses"][0]["message"]
    assert "max-subtraction before exp" in body["diagnoses"][1]["message"]
    assert body["flags"] == 1


def test_ties_in_the_diagnoses_are_sorted_by_function_then_name(
    make_client, make_key, redis_server
) -> None:
    c = Class(redis_server.client())
    c.submit("ann", GRADED, full(0, 3, 0, ("zero_db", None, "flipped_sign")))
    c.submit("ben", GRADED, full(0, 3, 4, ("flipped_sign", None, None)))
    body = make_client().get(stats_url(c), headers=make_key("admin", c.course)).get_json()
    assert [(d["function"], d["diagnosis"]) for d in body["diagnoses"]] == [
        ("f", "flipped_sign"),
        ("f", "zero_db"),
        ("g", "flipped_sign"),
    ]


def test_a_class_with_no_finished_submission_has_empty_stats(
    make_client, make_key, redis_server
) -> None:
    c = Class(redis_server.client())
    c.submit("ann", QUEUED)
    body = make_client().get(stats_url(c), headers=make_key("admin", c.course)).get_json()
    assert (body["students"], body["submissions"], body["flags"]) == (0, 1, 0)
    assert body["score"]["mean"] is None and body["score"]["median"] is None
    assert body["functions"] == [] and body["diagnoses"] == []


def test_the_stats_are_for_staff_of_the_course(make_client, make_key, seeded: Class) -> None:
    client = make_client()
    url = stats_url(seeded)
    assert_problem(client.get(url, headers=make_key("integration", seeded.course)), 403)
    assert_problem(client.get(url, headers=make_key("admin", "another-course")), 404)
    assert_problem(client.get(url), 401)
    assert client.get(url, headers=make_key("admin", "*")).status_code == 200
    unknown = f"/api/v1/courses/{seeded.course}/assignments/no-such-thing/stats"
    assert_problem(client.get(unknown, headers=make_key("admin", "*")), 404)
