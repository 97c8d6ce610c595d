"""Worker heartbeats in Redis: written by each worker, counted by /readyz, /metrics, serve.

A worker adds its name to ``workers:<queue>`` for each queue it consumes and renews
``heartbeat:<queue>:<name>`` with a TTL every few seconds. Expiry is Redis's own clock, so
workers and readers on other hosts need no synchronised clocks, and no broadcast is sent.
"""

from __future__ import annotations

import logging
import threading

import redis

from common.records import KEYS, QUEUES

log = logging.getLogger(__name__)


def live_workers(client: redis.Redis) -> dict[str, int]:
    """Return how many workers consume each queue now; forget workers whose beat expired."""
    counts = {}
    for queue in QUEUES:
        names = sorted(client.smembers(KEYS.workers(queue)))
        beats = client.mget([KEYS.heartbeat(queue, name) for name in names]) if names else []
        dead = [name for name, beat in zip(names, beats, strict=True) if beat is None]
        if dead:
            client.srem(KEYS.workers(queue), *dead)
        counts[queue] = len(names) - len(dead)
    return counts


class Heartbeat(threading.Thread):
    """Renews one worker's heartbeat keys until stopped (a daemon thread)."""

    def __init__(
        self, client: redis.Redis, worker: str, queues: list[str], interval_s: float, ttl_s: float
    ) -> None:
        super().__init__(name="autograder-heartbeat", daemon=True)
        self.client, self.worker, self.queues = client, worker, queues
        self.interval_s, self.ttl_ms = interval_s, int(ttl_s * 1000)
        self.stopped = threading.Event()

    def beat(self) -> None:
        """Say this worker is alive, once."""
        pipe = self.client.pipeline(transaction=False)
        for queue in self.queues:
            pipe.sadd(KEYS.workers(queue), self.worker)
            pipe.set(KEYS.heartbeat(queue, self.worker), "1", px=self.ttl_ms)
        pipe.execute()

    def run(self) -> None:
        while True:
            try:
                self.beat()
            except redis.RedisError as exc:  # Redis away for a moment: keep trying
                log.warning("heartbeat failed: %s", exc)
            if self.stopped.wait(self.interval_s):
                return

    def stop(self) -> None:
        """Stop beating and withdraw this worker at once (readers need not wait the TTL)."""
        self.stopped.set()
        pipe = self.client.pipeline(transaction=False)
        for queue in self.queues:
            pipe.delete(KEYS.heartbeat(queue, self.worker))
            pipe.srem(KEYS.workers(queue), self.worker)
        pipe.execute()
