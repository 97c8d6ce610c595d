"""Class-wide statistics of one assignment in one course (the stats API and the dashboard).

The basis is each student's latest *finished* submission: graded, or not_gradable (it
scores 0 on every function, as the student sees it). Failed runs are ours and never count;
queued and running ones are not finished. ``submissions`` counts every stored submission.

Histogram: ``BINS`` equal bins over [0, max_score], each [lo, hi) except the last, which
is closed ([lo, max_score]), so full marks fall in the top bin. Means, medians and rates
are rounded to 4 decimals.
"""

from __future__ import annotations

import statistics
from collections import Counter

from pydantic import BaseModel, Field

from common.catalog import AssignmentInfo
from common.records import COUNTED_STATUSES, SubmissionRecord, SubmissionStatus
from service.diagnoses import sentence

BINS = 10
BASIS = "latest_finished"


class Bin(BaseModel):
    lo: float
    hi: float
    count: int


class ScoreStats(BaseModel):
    mean: float | None = Field(description="None when no student has a finished submission.")
    median: float | None
    max_score: float
    histogram: list[Bin] = Field(description=f"{BINS} equal bins; the last includes max_score.")


class FunctionStats(BaseModel):
    function: str
    max_score: float
    mean_score: float | None
    pass_rate: float | None = Field(description="Share of students with full marks (0 to 1).")


class DiagnosisStats(BaseModel):
    function: str
    diagnosis: str
    message: str = Field(description="The bug class in the lecture's notation.")
    students: int = Field(description="Students whose counted submission shows it.")


class AssignmentStats(BaseModel):
    """What the class got: scores, functions, the most common diagnoses, flags."""

    basis: str = Field(
        BASIS,
        description="Each student's latest finished (graded or not_gradable) submission; "
        "failed runs (ours), queued and running ones are not counted.",
    )
    students: int = Field(description="Students with a finished submission (the basis).")
    not_gradable: int = Field(description="Of them, those whose file could not be run.")
    submissions: int = Field(description="Every stored submission, whatever its status.")
    score: ScoreStats
    functions: list[FunctionStats]
    diagnoses: list[DiagnosisStats] = Field(description="Most common first, ties by name.")
    flags: int = Field(description="Counted submissions with flags for review.")


def latest_finished(records: list[SubmissionRecord]) -> dict[str, SubmissionRecord]:
    """Return each student's latest graded or not_gradable submission, by student id."""
    latest: dict[str, SubmissionRecord] = {}
    for record in sorted(records, key=lambda r: r.received_at):
        if record.student_id and record.status in COUNTED_STATUSES and record.result is not None:
            latest[record.student_id] = record
    return latest


def diagnoses_of(record: SubmissionRecord) -> set[tuple[str, str]]:
    """(function, diagnosis) of every failed case of ``record``'s result."""
    tests = record.result.tests if record.result else []
    return {(t.function, t.diagnosis) for t in tests if not t.passed and t.diagnosis}


def function_points(
    counted: list[SubmissionRecord], info: AssignmentInfo | None
) -> dict[str, float]:
    """Each function's points: from the catalog, else from the results' cases (pack order)."""
    if info is not None:
        return {fn.name: fn.points for fn in info.functions}
    points: dict[str, float] = {}
    for record in counted:
        per_function: Counter[str] = Counter()
        for test in record.result.tests if record.result else []:
            per_function[test.function] += test.max_score
        for name, total in per_function.items():
            points[name] = max(points.get(name, 0.0), total)
    return points


def histogram(scores: list[float], max_score: float) -> list[Bin]:
    """``BINS`` equal bins over [0, max_score] (the last one closed) and their counts."""
    if max_score <= 0:
        return [Bin(lo=0, hi=0, count=len(scores))]
    counts = [0] * BINS
    for score in scores:
        counts[min(BINS - 1, max(0, int(score * BINS / max_score)))] += 1
    width = max_score / BINS
    return [
        Bin(lo=round(i * width, 4), hi=round((i + 1) * width, 4), count=counts[i])
        for i in range(BINS)
    ]


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def function_stats(
    counted: list[SubmissionRecord], info: AssignmentInfo | None
) -> list[FunctionStats]:
    """Per function: its points, the mean points and the share of full marks over the basis
    (a not_gradable submission has 0 points on every function)."""
    stats = []
    for name, points in function_points(counted, info).items():
        got = [sum(t.score for t in r.result.tests if t.function == name) for r in counted]
        full = sum(score >= points - 1e-9 for score in got)
        rate = round(full / len(got), 4) if got else None
        stats.append(
            FunctionStats(function=name, max_score=points, mean_score=_mean(got), pass_rate=rate)
        )
    return stats


def diagnosis_stats(counted: list[SubmissionRecord]) -> list[DiagnosisStats]:
    """Students per (function, diagnosis) among graded submissions, most common first (a
    not_gradable file names no bug of any function: its cases were never run)."""
    graded = [r for r in counted if r.status is SubmissionStatus.GRADED]
    found = Counter(pair for record in graded for pair in diagnoses_of(record))
    ranked = sorted(found.items(), key=lambda item: (-item[1], item[0]))
    return [
        DiagnosisStats(function=fn, diagnosis=bug, message=sentence(bug), students=n)
        for (fn, bug), n in ranked
    ]


def compute(records: list[SubmissionRecord], info: AssignmentInfo | None) -> AssignmentStats:
    """Return the stats of one assignment's ``records`` in one course (any order);
    ``info`` is its catalog entry (None: points are taken from the results)."""
    counted = list(latest_finished(records).values())
    graded = SubmissionStatus.GRADED
    scores = [r.result.score if r.status is graded else 0.0 for r in counted]
    max_score = info.max_score if info else max((r.result.max_score for r in counted), default=0)
    return AssignmentStats(
        students=len(counted),
        not_gradable=sum(r.status is SubmissionStatus.NOT_GRADABLE for r in counted),
        submissions=len(records),
        score=ScoreStats(
            mean=_mean(scores),
            median=round(statistics.median(scores), 4) if scores else None,
            max_score=max_score,
            histogram=histogram(scores, max_score),
        ),
        functions=function_stats(counted, info),
        diagnoses=diagnosis_stats(counted),
        flags=sum(1 for r in counted if r.result.flags),
    )
