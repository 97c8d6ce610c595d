"""kill -9 of worker processes in the middle of grading: every submission graded exactly once.

"Exactly once" has two witnesses: the worker's log (runs that stored a result, per id) and
Redis (final-status publications, made only by the write that stores the result). A
killed run leaves its submission 'running' under a lock nobody renews any more; the
redelivered task waits for it to expire (lock_ttl_s, 30 s), then grades it again, so
``attempts`` counts the kills that hit a submission.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from fault_support import FIXTURES, children, stored_results, wait_until

pytestmark = pytest.mark.slow

KILLS = 20
SLOW = Path(__file__).with_name("slow_correct.py")  # over a second of grading each
FILES = [SLOW, SLOW, SLOW, FIXTURES / "numpy_flipped_sign.py"]


def _zygote_python(pid: int) -> bool:
    """True if ``pid`` is a Python process running the sandbox zygote's code (not bwrap)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read()
        with open(f"/proc/{pid}/comm") as f:
            comm = f.read()
    except OSError:
        return False
    return comm.startswith("python") and b"sandbox.zygote" in cmdline


def sandbox_busy(pid: int) -> bool:
    """True if a sandbox child (a zygote's fork) runs below ``pid``: that process is grading."""
    todo = [pid]
    while todo:
        current = todo.pop()
        for child in children(current):
            if _zygote_python(current) and _zygote_python(child):
                return True
            todo.append(child)
    return False


def kill_one_grading_process(worker) -> bool:
    """SIGKILL one pool process that is grading right now; False if none was."""
    for pid in worker.pool_pids():
        if sandbox_busy(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
            return True
    return False


def test_killing_a_grading_process_20_times_grades_every_submission_exactly_once(
    cluster, publications
):
    worker = cluster.start_worker(concurrency=2)
    ids: list[str] = []
    kills, deadline = 0, time.monotonic() + 240
    while kills < KILLS:  # keep a few queued, so there is always grading to interrupt
        assert time.monotonic() < deadline, f"only {kills} kills landed mid-grading"
        if cluster.statuses(ids)["queued"] < 3:
            ids += cluster.submit_many(FILES, f"kill-{len(ids)}")
        if kill_one_grading_process(worker):
            kills += 1
        time.sleep(0.05)

    cluster.wait_all_final(ids, timeout_s=120)
    records = [cluster.record(i) for i in ids]
    assert [r.status for r in records] == ["graded"] * len(ids)
    scores = {(r.filename, r.score) for r in records}  # one score per file, however often run
    assert len(scores) == 2 and ("slow_correct.py", 100.0) in scores
    assert sum(r.attempts - 1 for r in records) >= KILLS  # every kill cost one re-run
    assert set(stored_results(worker.outcomes(), ids).values()) == {1}
    wait_until(lambda: sum(publications.counts[i] for i in ids) >= len(ids), 10, "publications")
    assert {i: publications.counts[i] for i in ids} == {i: 1 for i in ids}
