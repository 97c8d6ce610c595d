"""GET /metrics: Prometheus text, read from Redis at scrape time.

Counts, queue depths and the latency histograms (which the workers record) all live in
Redis, so every gunicorn worker process answers the same numbers: no prometheus
multiprocess directory is needed.
"""

from __future__ import annotations

from collections.abc import Iterator

import redis
from flask import Blueprint, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from common import incidents, sandbox_state
from common.heartbeats import live_workers
from common.records import KEYS, LATENCY_BUCKETS_S, QUEUES, utcnow
from common.waiting import oldest_queued_s, waiting_tasks
from service.context import services
from service.openapi import operation
from service.store import SubmissionStore

bp = Blueprint("metrics", __name__)

HISTOGRAMS = {
    "latency": ("autograder_grading_latency_seconds", "From receipt to result stored."),
    "duration": ("autograder_grading_duration_seconds", "From grading start to result."),
}


class RedisCollector:
    """A prometheus collector whose every sample is read from Redis when scraped."""

    def __init__(self, client: redis.Redis, store: SubmissionStore) -> None:
        self.client, self.store = client, store

    def collect(self) -> Iterator[Metric]:
        by_status = GaugeMetricFamily(
            "autograder_submissions", "Stored submissions by status.", labels=["status"]
        )
        for status, count in self.store.status_counts().items():
            by_status.add_metric([status], count)
        yield by_status
        depth = GaugeMetricFamily(
            "autograder_queue_depth", "Tasks waiting in each queue.", labels=["queue"]
        )
        workers = GaugeMetricFamily(
            "autograder_workers", "Live workers consuming each queue.", labels=["queue"]
        )
        alive = live_workers(self.client)
        for queue in QUEUES:
            depth.add_metric(
                [queue], sum(self.client.llen(k) for k in KEYS.broker_queue_lists(queue))
            )
            workers.add_metric([queue], alive[queue])
        yield depth
        yield workers
        yield from sandbox_metrics(self.client)
        yield from self._stalls(alive)
        for key, (name, doc) in HISTOGRAMS.items():
            yield self._histogram(key, name, doc)

    def _stalls(self, alive: dict[str, int]) -> Iterator[Metric]:
        """What an operator alerts on (docs/deploy.md): waits, stalls, healing done."""
        oldest = GaugeMetricFamily(
            "autograder_queue_oldest_waiting_seconds",
            "Age of the oldest submission still queued for each queue (0: none).",
            labels=["queue"],
        )
        stalled = GaugeMetricFamily(
            "autograder_queue_stalled",
            "1 while tasks wait in a queue that no live worker consumes (as /readyz says).",
            labels=["queue"],
        )
        ages = oldest_queued_s(self.client, utcnow())
        for queue in QUEUES:
            oldest.add_metric([queue], ages[queue])
            waiting = waiting_tasks(self.client, queue)
            stalled.add_metric([queue], float(waiting > 0 and alive[queue] == 0))
        yield oldest
        yield stalled
        counts = incidents.counts(self.client)
        yield CounterMetricFamily(
            "autograder_worker_stalls",
            "Workers that found themselves stalled (free slots, tasks waiting, none taken) "
            "and exited for a fresh start.",
            value=counts[incidents.WORKER_STALLS],
        )
        yield CounterMetricFamily(
            "autograder_orphans_requeued",
            "Orphaned records (queued or running with no task message) enqueued again by "
            "the sweeper.",
            value=counts[incidents.ORPHANS_REQUEUED],
        )

    def _histogram(self, key: str, name: str, doc: str) -> HistogramMetricFamily:
        fields = self.client.hgetall(KEYS.latency(key))
        buckets = [(str(b), float(fields.get(str(b), 0))) for b in LATENCY_BUCKETS_S]
        buckets.append(("+Inf", float(fields.get("+Inf", 0))))
        return HistogramMetricFamily(
            name, doc, buckets=buckets, sum_value=float(fields.get("sum", 0))
        )


def sandbox_metrics(client: redis.Redis) -> Iterator[Metric]:
    """Per worker: its sandbox mode (1 for the one in use) and each isolation layer (1/0)."""
    states = sandbox_state.read(client, sandbox_state.live_names(client, QUEUES))
    mode = GaugeMetricFamily(
        "autograder_sandbox_mode",
        "The sandbox a worker grades with (1); 'unavailable': it refused to start.",
        labels=["worker", "mode"],
    )
    layer = GaugeMetricFamily(
        "autograder_sandbox_layer_active",
        "Whether an isolation layer (namespaces, seccomp, landlock, cgroup) is active.",
        labels=["worker", "layer"],
    )
    for worker, state in sorted(states.items()):
        mode.add_metric([worker, str(state.get("mode"))], 1)
        for name, active in sorted((state.get("layers") or {}).items()):
            layer.add_metric([worker, str(name)], 1 if active else 0)
    yield mode
    yield layer


@bp.get("/metrics")
@operation(
    "Prometheus metrics: submissions by status, queue depth, grading latency, sandbox layers",
    responses={200: "text/plain"},
    public=True,
    tags=("health",),
)
def metrics() -> Response:
    registry = CollectorRegistry(auto_describe=False)
    ctx = services()
    registry.register(RedisCollector(ctx.redis, ctx.store))
    return Response(generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})
