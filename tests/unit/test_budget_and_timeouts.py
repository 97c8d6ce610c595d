"""One submission holds a worker for a bounded time: a function that timed out is not
called again, and lecture4's whole run (regrade included) has a budget well under the
task's time limit."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from common.settings import Settings
from reference.pack import Observation
from reference.packs import get_pack
from worker.grading.runner_setup import sandbox_limits
from worker.grading.verdicts import failure_verdict
from worker.sandbox.host.api import TIMED_OUT_EARLIER, CallSpec, SandboxRequest, SourceChunk
from worker.sandbox.host.process_runner import ProcessRunner

CODE = """
def spin(x):
    while True:
        pass

def fine(x):
    return x + 1
"""


def test_a_function_that_timed_out_is_not_called_again_and_the_others_still_run():
    x = np.zeros(2)
    calls = [CallSpec(f"spin{i}", "spin", {"x": x}, time_limit_s=1.0) for i in range(3)]
    calls.append(CallSpec("fine", "fine", {"x": x}))
    chunk = SourceChunk(textwrap.dedent(CODE), "submission.py")
    with ProcessRunner() as runner:
        report = runner.run(SandboxRequest("numpy", "cpu", (chunk,), tuple(calls)))
    seen = report.observations
    assert seen["spin0"].status == "timeout" and "within 1 s" in seen["spin0"].error
    for later in ("spin1", "spin2"):
        assert seen[later].status == "timeout" and TIMED_OUT_EARLIER in seen[later].error
        assert seen[later].duration_ms == 0  # never sent to a child
    assert seen["fine"].status == "ok" and list(seen["fine"].value) == [1.0, 1.0]


def test_a_case_not_run_says_so_rather_than_that_it_was_stopped():
    earlier = Observation("timeout", error=f"softmax {TIMED_OUT_EARLIER}")
    verdict = failure_verdict("softmax", earlier, 5.0)
    assert "not called again" in verdict.message and "took longer" not in verdict.message
    stopped = Observation("timeout", error="softmax did not return within 5 s")
    assert "took longer than 5s" in failure_verdict("softmax", stopped, 5.0).message


@pytest.mark.parametrize("pack_id", ["lecture4-numpy", "lecture4-torch"])
def test_lecture4_has_one_budget_of_30_s_well_under_the_task_limit(pack_id):
    settings = Settings.defaults()
    limits = sandbox_limits(settings, get_pack(pack_id))
    assert limits.wall_s == 30.0
    assert limits.wall_s <= settings.task_soft_time_limit_s / 4
