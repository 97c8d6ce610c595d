"""One submission holds a worker for one bounded budget: an endless loop in a function
that others build on costs one time limit per function, and the run (the regrade with
reference helpers included) ends within the submission's budget."""

from __future__ import annotations

from dataclasses import replace

from reference.pack import SandboxLimits
from reference.packs import get_pack
from worker.grading.pipeline import grade_pack
from worker.sandbox.host.api import TIMED_OUT_EARLIER

HOSTILE = "bench/corpus/hostile_loop_in_softmax.py"
BUDGET_S = 8.0  # below the 25 s that one timeout of each looping function takes


def test_an_endless_loop_in_softmax_costs_one_limit_and_the_run_stays_in_its_budget(attack):
    pack = replace(get_pack("lecture4-numpy"), limits=SandboxLimits(submission_s=BUDGET_S))
    source = (attack.repo / HOSTILE).read_text()
    result = grade_pack(pack, "submission.py", source, runner=attack.sandbox)
    assert result.status == "graded"
    softmax = [t.message for t in result.tests if t.name.startswith("softmax")]
    assert sum("took longer than" in m for m in softmax) == 1
    assert sum(TIMED_OUT_EARLIER in m for m in softmax) == len(softmax) - 1
    messages = [t.message for t in result.tests]
    assert any("total time budget of 8 s" in m for m in messages)
    assert not any("graded with the reference" in m for m in messages)  # no budget left
    # Each timeout is a call's own limit (5 s, train_sgd 10 s); without the shared budget
    # the first run alone would take 25 s. The slack covers killing and re-forking children.
    assert result.duration_ms / 1000 < BUDGET_S + 10
    attack.still_grades()


def test_with_budget_left_the_functions_built_on_a_looping_helper_keep_their_points(attack):
    source = (attack.repo / HOSTILE).read_text()
    pack = get_pack("lecture4-numpy")
    # Budget enough for softmax's one timeout and the regrade, not for every caller's own.
    budget = replace(pack, limits=SandboxLimits(submission_s=60.0))
    result = grade_pack(budget, "submission.py", source, runner=attack.sandbox)
    by_function: dict[str, list[bool]] = {}
    for test in result.tests:
        by_function.setdefault(test.name.split(":")[0], []).append(test.passed)
    assert not any(by_function["softmax"])
    for fn in ("quality", "cross_entropy", "cross_entropy_grad", "sgd_step", "lr_schedule"):
        assert all(by_function[fn]), fn
    attack.still_grades()
