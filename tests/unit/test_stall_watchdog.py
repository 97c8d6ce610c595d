"""The stall watchdog's judgement: free slots and waiting tasks, and no task taken, for long
enough. Times are the samples' own clock (no sleeping)."""

from __future__ import annotations

import pytest

from worker.watchdog import StallClock

THRESHOLD_S = 30.0


def run(samples: list[tuple[float, int, int]], received_at: tuple[float, ...] = ()):
    """Feed (time, waiting, free) samples; return what the last one said."""
    clock = StallClock(THRESHOLD_S)
    said = None
    for now, waiting, free in samples:
        for taken in received_at:
            if taken <= now:
                clock.received(taken)
        said = clock.observe(now, waiting, free)
    return said


def test_waiting_tasks_and_a_free_slot_for_the_threshold_with_nothing_taken_is_a_stall():
    samples = [(t, 3, 1) for t in range(0, 31, 5)]
    assert run(samples) == 30.0


@pytest.mark.parametrize(
    "samples",
    [
        [(t, 3, 1) for t in range(0, 30, 5)],  # not long enough yet
        [(t, 0, 2) for t in range(0, 61, 5)],  # nothing waits
        [(t, 3, 0) for t in range(0, 61, 5)],  # every slot busy: a long grading run
        [(t, 3, 1) for t in range(0, 26, 5)] + [(30, 0, 1), (35, 3, 1), (50, 3, 1)],  # emptied
        [(t, 3, 1) for t in range(0, 26, 5)] + [(30, 3, 0), (35, 3, 1), (50, 3, 1)],  # got busy
    ],
    ids=["too-short", "nothing-waits", "no-free-slot", "queue-emptied", "slots-filled"],
)
def test_a_stretch_without_waiting_tasks_and_a_free_slot_throughout_is_no_stall(samples):
    assert run(samples) is None


def test_a_task_taken_during_the_stretch_starts_it_afresh():
    samples = [(t, 3, 1) for t in range(0, 61, 5)]
    assert run(samples, received_at=(40.0,)) is None  # 45..60 is only 15 s
    assert run([*samples, (75, 3, 1)], received_at=(40.0,)) == 30.0
