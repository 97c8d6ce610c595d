"""The stall watchdog: a worker whose consumer stopped taking tasks restarts itself.

Known Celery/kombu bugs of the Redis transport leave a worker alive after a broker
reconnect, heart-beating, with idle pool processes, yet taking no message and logging
nothing (celery issues 8030, 8091, 10205 and 10302, the last for 5.6.3). The watchdog
watches for that symptom, whatever its cause: the worker has had a free slot and its queues
have had tasks waiting for ``threshold_s``, and it received none of them. It then asks
Celery for a warm shutdown with exit status 75 (EX_TEMPFAIL): running tasks finish,
prefetched ones go back to the queue, and the supervisor (``autograder serve``, or the
compose restart policy) starts a fresh worker, whose new connection consumes again.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable

import redis

from common.waiting import waiting_tasks

log = logging.getLogger(__name__)

EXIT_STALLED = 75  # EX_TEMPFAIL: try again, i.e. start a fresh worker
_restart = threading.Event()  # set once this process asked to be restarted


class StallClock:
    """Tells from samples whether a worker is stalled (pure: no I/O, times in seconds)."""

    def __init__(self, threshold_s: float) -> None:
        self.threshold_s = threshold_s
        self.since: float | None = None  # start of the current suspicious stretch
        self.last_received = -math.inf

    def received(self, now: float) -> None:
        """Note that the worker took a task at ``now`` (progress: no stall)."""
        self.last_received = now

    def observe(self, now: float, waiting: int, free: int) -> float | None:
        """Take one sample: ``waiting`` tasks in the worker's queues, ``free`` idle slots.

        Return how long the worker has been stalled once that reaches the threshold, else
        None. A sample with nothing waiting or no free slot, or a task taken since the
        stretch began, starts it afresh.
        """
        if waiting <= 0 or free <= 0:
            self.since = None
            return None
        if self.since is None or self.last_received >= self.since:
            self.since = now
        stalled = now - self.since
        return stalled if stalled >= self.threshold_s else None


class StallWatchdog(threading.Thread):
    """Samples a worker every ``interval_s`` and calls ``on_stall(seconds)`` once if stalled."""

    def __init__(
        self,
        client: redis.Redis,
        queues: list[str],
        free_slots: Callable[[], int],
        threshold_s: float,
        on_stall: Callable[[float], None],
        interval_s: float | None = None,
    ) -> None:
        super().__init__(name="autograder-stall-watchdog", daemon=True)
        self.client, self.queues, self.free_slots = client, queues, free_slots
        self.on_stall = on_stall
        self.clock = StallClock(threshold_s)
        # Sample often enough that the threshold is met within about a tenth of itself.
        self.interval_s = interval_s or min(5.0, max(0.5, threshold_s / 10))
        self.stopped = threading.Event()

    def received(self) -> None:
        """Hook for Celery's task_received signal (runs in the worker's main thread)."""
        self.clock.received(time.monotonic())

    def run(self) -> None:
        while not self.stopped.wait(self.interval_s):
            try:
                waiting = sum(waiting_tasks(self.client, queue) for queue in self.queues)
            except redis.RedisError:  # no one can consume while Redis is away: not a stall
                waiting = 0
            stalled = self.clock.observe(time.monotonic(), waiting, self.free_slots())
            if stalled is not None:
                self.on_stall(stalled)
                return

    def stop(self) -> None:
        self.stopped.set()


def request_restart(grace_s: float) -> None:
    """Ask Celery for a warm shutdown that exits with EXIT_STALLED; exit hard after ``grace_s``.

    Setting ``state.should_stop`` is what Celery's own SIGTERM handler does; the worker's
    loop sees it within a tick. The hard exit is the backstop should that loop be wedged
    too: running tasks are then lost to this process, and their messages come back after
    the visibility timeout.
    """
    from celery.worker import state

    _restart.set()
    state.should_stop = EXIT_STALLED
    backstop = threading.Timer(grace_s, os._exit, (EXIT_STALLED,))
    backstop.daemon = True
    backstop.start()


def restart_requested() -> bool:
    """True once :func:`request_restart` ran in this process (`autograder worker` then
    exits with EXIT_STALLED)."""
    return _restart.is_set()
