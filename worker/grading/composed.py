"""Grade composed functions fairly: a bug in a helper costs only the helper's points.

Some graded functions build on others (``FunctionSpec.helpers``: train_sgd on sgd_step).
If such a function F failed cases and, by the static call graph (worker.grading.forbidden:
directly or through the student's own code), calls a helper that failed its own cases (a
wrong value, missing, raised...), F's failed cases run again in a second sandbox request
with the pack's oracle of each such helper in its place (worker.sandbox.host.api:
``CallSpec.substitutes``). The new verdicts replace the old: a pass is a pass; a failure
says it was graded with the reference helpers, so the student knows the bug is F's own.
A submission without such failures pays nothing: there is no second request. The second
request shares the submission's one wall-clock budget (``Limits.wall_s``) with the first:
it gets what the first left, and none if nothing is left.

Never graded again: forbidden uses (a forbidden call costs F, through a helper too), a
missing F, and grad probes, since a reference result carries no autograd graph and a
gradient through it could not be checked.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

from reference.pack import Pack, Verdict
from worker.grading.forbidden import StaticFacts
from worker.grading.plan import PlannedCase, call_specs
from worker.grading.results import stopped_at
from worker.grading.unset import unset_causes
from worker.grading.verdicts import join_words, judge
from worker.sandbox.host.api import SandboxRequest, SandboxRunner

KEEP = frozenset({"forbidden_call", "missing", "not_gradable"})


def regrade_composed(
    pack: Pack,
    first: SandboxRequest,
    facts: StaticFacts,
    planned: Sequence[PlannedCase],
    verdicts: Sequence[Verdict],
    defined: Collection[str],
    runner: SandboxRunner,
    spent_s: float = 0.0,
) -> list[Verdict]:
    """Return ``verdicts`` with failed cases of composed functions graded again where a
    helper they call failed (``first``: the run's request, whose chunks and limits the
    second run keeps; ``defined``: the names the file defined when it ran; ``spent_s``: the
    seconds the first run took of the submission's wall budget)."""
    plan = substitutions(pack, facts.reaches, planned, verdicts, defined)
    again = [
        i
        for i, (p, v) in enumerate(zip(planned, verdicts, strict=True))
        if p.case.function in plan and worth_again(p, v)
    ]
    left_s = first.limits.wall_s - spent_s
    if not again or left_s <= 0:
        return list(verdicts)
    lent = {name for p in (planned[i] for i in again) for name in plan[p.case.function]}
    request = replace(
        first,
        calls=call_specs([planned[i] for i in again], substitutes=plan),
        oracles={name: pack.oracles[name] for name in lent},
        limits=replace(first.limits, wall_s=left_s),
    )
    report = runner.run(request)
    where = stopped_at(report.imported, first.chunks)
    unset = unset_causes(report.imported, first.chunks)
    new = list(verdicts)
    for i in again:
        p, fn = planned[i], planned[i].case.function
        observation = report.observations.get(p.call_id)
        forbidden = facts.forbidden.get(fn, ())
        verdict = judge(pack, p, observation, forbidden, report.imported, where, unset)
        new[i] = verdict if verdict.passed else with_note(verdict, fn, plan[fn])
    return new


def substitutions(
    pack: Pack,
    reaches: Mapping[str, Collection[str]],
    planned: Sequence[PlannedCase],
    verdicts: Sequence[Verdict],
    defined: Collection[str],
) -> dict[str, tuple[str, ...]]:
    """Return {function: the helpers to replace by their oracles}, for each function that
    calls a helper that failed a case of its own or was not defined."""
    failing = {p.case.function for p, v in zip(planned, verdicts, strict=True) if not v.passed}
    failing |= {spec.name for spec in pack.functions if spec.name not in defined}
    plan = {}
    for spec in pack.functions:
        calls = reaches.get(spec.name, ())
        helpers = tuple(
            h for h in spec.helpers if h in calls and h in failing and h in pack.oracles
        )
        if helpers:
            plan[spec.name] = helpers
    return plan


def worth_again(planned: PlannedCase, verdict: Verdict) -> bool:
    """Whether a case's failure may be a helper's: failed, not forbidden or missing, and not
    a grad probe."""
    if verdict.passed or verdict.diagnosis in KEEP:
        return False
    return planned.case.probe.kind != "grad"


def with_note(verdict: Verdict, function: str, helpers: tuple[str, ...]) -> Verdict:
    """A failure graded with reference helpers, saying so."""
    note = (
        f"(graded with the reference {join_words(list(helpers))} in place of yours, "
        f"so this failure is {function}'s own)"
    )
    return Verdict(False, f"{verdict.message}\n{note}", verdict.diagnosis)
