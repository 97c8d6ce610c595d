"""Numbers from a burst's records: latency percentiles, queue wait, grading time, throughput.

Latencies come from the record's own timestamps (``received_at``, ``queued_at``,
``started_at``, ``finished_at``, all written by the service and worker on one machine's
clock), so a busy load generator cannot inflate them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

PERCENTILES = (50, 95, 99)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by linear interpolation; nan for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Spread:
    """Count, mean and percentiles of a set of durations, in milliseconds."""

    count: int
    mean_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    @classmethod
    def of(cls, seconds: Iterable[float]) -> Spread:
        ms = [s * 1000 for s in seconds]
        if not ms:
            return cls(0, math.nan, math.nan, math.nan, math.nan, math.nan)
        p50, p95, p99 = (percentile(ms, q) for q in PERCENTILES)
        return cls(len(ms), sum(ms) / len(ms), p50, p95, p99, max(ms))

    def line(self) -> str:
        """'n=…  mean …  p50 …  p95 …  p99 …  max …' in ms."""
        if not self.count:
            return "n=0"
        return (
            f"n={self.count}  mean {self.mean_ms:.0f}  p50 {self.p50_ms:.0f}  "
            f"p95 {self.p95_ms:.0f}  p99 {self.p99_ms:.0f}  max {self.max_ms:.0f} ms"
        )

    def as_dict(self) -> dict:
        return asdict(self)


def _t(record: dict, name: str) -> float | None:
    value = record.get(name)
    return datetime.fromisoformat(value).timestamp() if value else None


def phases(record: dict) -> dict[str, float] | None:
    """Seconds of a finished record's phases; None if a timestamp is missing.

    ``latency``: received -> finished (submit -> graded); ``intake``: received -> queued;
    ``queue_wait``: queued -> started (of the last attempt); ``grading``: started -> finished.
    """
    received, queued = _t(record, "received_at"), _t(record, "queued_at")
    started, finished = _t(record, "started_at"), _t(record, "finished_at")
    if None in (received, queued, started, finished):
        return None
    return {
        "latency": finished - received,
        "intake": queued - received,
        "queue_wait": started - queued,
        "grading": finished - started,
    }


@dataclass(frozen=True)
class Throughput:
    """Finished submissions per second over the burst's span, overall and per worker."""

    finished: int
    span_s: float
    per_s: float
    per_worker_s: float
    workers: int


def throughput(records: Sequence[dict], workers: int) -> Throughput:
    """From the first receipt to the last finish among ``records`` (finished ones)."""
    received = [_t(r, "received_at") for r in records]
    finished = [_t(r, "finished_at") for r in records if r.get("finished_at")]
    if not finished:
        return Throughput(0, 0.0, 0.0, 0.0, workers)
    span = max(finished) - min(t for t in received if t is not None)
    per_s = len(finished) / span if span > 0 else math.inf
    return Throughput(len(finished), span, per_s, per_s / max(1, workers), workers)
