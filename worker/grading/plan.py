"""The call plan of one grading run: which cases, with which inputs, worth how many points.

Case inputs are built in the trusted parent. Builds are deterministic (seeded), so each
process builds a pack's cases and their inputs once and reuses them for every submission;
the inputs are only read afterwards (by the sandbox encoder and by the checks).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reference.pack import Case, Device, Pack
from worker.sandbox.host.api import CallSpec, Limits


@dataclass
class Battery:
    """A pack's cases for one device, and their inputs once built (by case index)."""

    source: Callable[[Device], list[Case]]  # pack.cases: tells apart packs that share an id
    cases: list[Case]
    inputs: dict[int, dict[str, Any]] = field(default_factory=dict)


_BATTERIES: dict[tuple[str, str], Battery] = {}


@dataclass(frozen=True)
class PlannedCase:
    """One case of this run: its call id, its built inputs, its share of the points and its
    time limit in seconds (the case's, else its function's, else the run's default)."""

    case: Case
    call_id: str
    inputs: dict[str, Any]
    max_score: float
    time_limit_s: float


def plan_cases(
    pack: Pack, device: Device, cases: Sequence[Case] | None = None, limits: Limits | None = None
) -> list[PlannedCase]:
    """Return the planned cases, in order; ``cases`` replaces the pack's battery if given.

    ``limits`` gives the time limit of calls whose case and function set none (``call_s``).

    A case is worth ``points x weight / (sum of the weights of its function's cases)``.
    The pack's own battery and its inputs are built once per process; explicit ``cases``
    are built every time.
    """
    battery = pack_battery(pack, device) if cases is None else Battery(pack.cases, list(cases))
    total_weight: dict[str, float] = defaultdict(float)
    for case in battery.cases:
        total_weight[case.function] += case.weight
    call_s = (limits or Limits()).call_s
    planned = []
    for index, case in enumerate(battery.cases):
        spec = pack.function(case.function)
        points = spec.points
        share = case.weight / total_weight[case.function] if total_weight[case.function] else 0.0
        if index not in battery.inputs:
            battery.inputs[index] = case.build()
        limit = next(t for t in (case.time_limit_s, spec.time_limit_s, call_s) if t is not None)
        planned.append(PlannedCase(case, f"c{index}", battery.inputs[index], points * share, limit))
    return planned


def pack_battery(pack: Pack, device: Device) -> Battery:
    """Return the cached battery of ``pack`` on ``device``, made on first use."""
    key = (pack.id, device)
    battery = _BATTERIES.get(key)
    if battery is None or battery.source is not pack.cases:
        battery = _BATTERIES[key] = Battery(pack.cases, list(pack.cases(device)))
    return battery


def call_specs(
    planned: Sequence[PlannedCase],
    skip: Collection[str] = (),
    substitutes: Mapping[str, tuple[str, ...]] | None = None,
) -> tuple[CallSpec, ...]:
    """Return the CallSpecs to run, leaving out the functions in ``skip`` (already failed).

    Visible cases come first: one child runs the calls in turn, so a visible call never
    runs after a hidden one and nothing a hidden call saw (kept in a global or a file) can
    come out in what a visible call prints, raises or returns. ``substitutes`` gives, by
    function, the helpers its calls get oracle proxies for.
    """
    chosen = [p for p in planned if p.case.function not in skip]
    chosen.sort(key=lambda p: p.case.visibility == "hidden")  # stable: pack order otherwise
    lent = substitutes or {}
    return tuple(
        CallSpec(
            call_id=p.call_id,
            function=p.case.function,
            kwargs=dict(p.inputs),
            probe=p.case.probe,
            time_limit_s=p.time_limit_s,
            substitutes=lent.get(p.case.function, ()),
            hidden=p.case.visibility == "hidden",
        )
        for p in chosen
    )
