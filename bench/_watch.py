"""Count how often each submission was finished: two independent witnesses.

1. Redis: the worker publishes on ``finished:<id>`` in the same Lua script that writes the
   final status, and only when it really writes it; a pattern subscription counts every
   such write. Two publications for one id would be a result stored twice.
2. The worker's log: Celery logs ``Task autograder.grade[<id>] succeeded ...: '<outcome>'``
   (the task id is the submission id). Outcomes ``graded``, ``not_gradable`` and
   ``failed`` mean the run stored a result; ``final`` means a redelivered run found the
   submission finished and did nothing.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from pathlib import Path

import redis

from common.records import KEYS

STORED = ("graded", "not_gradable", "failed")
_TASK_LINE = re.compile(r"Task autograder\.grade\[([^\]]+)\] succeeded in [0-9.e-]+s: '(\w+)'")


class FinishCounter:
    """Counts final-status publications per submission id while it runs (a thread)."""

    def __init__(self, redis_url: str) -> None:
        self.counts: Counter[str] = Counter()
        self._pubsub = redis.Redis.from_url(redis_url, decode_responses=True).pubsub()
        self._pubsub.psubscribe(KEYS.finished_channel("*"))
        self._prefix = KEYS.finished_channel("")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="finish-counter", daemon=True)
        self.errors: list[str] = []

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                message = self._pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
            except redis.RedisError as exc:  # Redis restarted under us: say so, keep going
                self.errors.append(repr(exc))
                self._stop.wait(0.5)
                continue
            if message and message["type"] == "pmessage":
                self.counts[message["channel"][len(self._prefix) :]] += 1

    def __enter__(self) -> FinishCounter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._pubsub.close()


def worker_log_outcomes(log_path: Path, offset: int = 0) -> dict[str, Counter[str]]:
    """Return, per submission id, how many runs ended with each outcome (from ``offset``)."""
    outcomes: dict[str, Counter[str]] = {}
    with log_path.open(errors="replace") as log:
        log.seek(offset)
        for line in log:
            match = _TASK_LINE.search(line)
            if match:
                outcomes.setdefault(match.group(1), Counter())[match.group(2)] += 1
    return outcomes


def stored_twice(outcomes: dict[str, Counter[str]]) -> list[str]:
    """Ids whose runs stored a result more than once, according to the log."""
    return sorted(i for i, c in outcomes.items() if sum(c[s] for s in STORED) > 1)
