"""Workers stopping and starting, and a submission that hangs past every limit.

A restarted worker picks up the queue where the old one left it (what was queued while no
worker ran, and what the old one had prefetched). A submission that never ends is cut off
by the sandbox (or, below it, by the task's time limit), finished, and the worker goes on
to the next one.
"""

from __future__ import annotations

import pytest
from fault_support import CORPUS, FIXTURES, stored_results, wait_until

pytestmark = pytest.mark.slow

CORRECT = FIXTURES / "numpy_correct.py"


def test_a_restarted_worker_resumes_the_queue_and_grades_everything_once(cluster):
    first = cluster.start_worker(concurrency=1)
    ids = cluster.submit_many([CORRECT] * 10, "early")
    wait_until(lambda: cluster.statuses(ids)["graded"] >= 2, 60, "two graded submissions")
    first.stop()  # warm shutdown: the running task finishes, prefetched ones go back
    ids += cluster.submit_many([CORRECT] * 5, "while-no-worker")
    assert cluster.statuses(ids)["graded"] < len(ids)

    second = cluster.start_worker(concurrency=2)
    cluster.wait_all_final(ids, timeout_s=120)

    assert {cluster.record(i).score for i in ids} == {100.0}
    runs = {i: a + b for i, a, b in _merge(first, second, ids)}
    assert runs == {i: 1 for i in ids}
    assert stored_results(second.outcomes(), ids[-5:]) == {i: 1 for i in ids[-5:]}


def _merge(first, second, ids):
    one, two = stored_results(first.outcomes(), ids), stored_results(second.outcomes(), ids)
    return [(i, one[i], two[i]) for i in ids]


def test_a_file_that_hangs_at_import_is_cut_off_and_frees_its_only_worker(cluster):
    # One grading process (a stuck one would block all), and task limits above the sandbox's
    # budgets, as in production: the sandbox's import budget (10 s) must end it.
    limits = {"AUTOGRADER_TASK_SOFT_TIME_LIMIT_S": "40", "AUTOGRADER_TASK_TIME_LIMIT_S": "45"}
    cluster.start_worker(concurrency=1, **limits)
    hang, after = cluster.submit_many([CORPUS / "hostile_loop_at_import.py", CORRECT], "hang")

    cluster.wait_all_final([hang, after], timeout_s=90)

    stuck = cluster.record(hang)
    assert stuck.status == "graded"  # the student's fault: a verdict, not our failure
    assert "too long" in stuck.result.error.message
    assert {t.function for t in stuck.result.tests if t.passed} == {"softmax", "quality"}
    assert cluster.record(after).score == 100.0


def test_a_run_past_the_task_time_limit_is_finished_and_frees_its_worker(cluster):
    # Task limits below the sandbox's own budgets: the task's soft limit must end the run.
    limits = {"AUTOGRADER_TASK_SOFT_TIME_LIMIT_S": "3", "AUTOGRADER_TASK_TIME_LIMIT_S": "6"}
    cluster.start_worker(concurrency=1, **limits)
    # softmax's one call spins for its full 5 s limit, past the soft limit (the loop in
    # lr_schedule no longer will: each function now times out once, 2 s, not once per case)
    hostile = CORPUS / "hostile_loop_in_softmax.py"
    hang, after = cluster.submit_many([hostile, CORRECT], "limit")

    cluster.wait_all_final([hang, after], timeout_s=90)

    stuck = cluster.record(hang)
    assert stuck.status == "failed"  # ours: our limit stopped it before the sandbox verdict
    assert stuck.result.error.kind == "grader_error"
    assert cluster.record(after).score == 100.0
