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
from worker.grading.points import split_points
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
    time limit in seconds (the case's, else its function's, else the run's default).

    ``positional``: the function's required parameters, passed by position in this order.
    """

    case: Case
    call_id: str
    inputs: dict[str, Any]
    max_score: float
    time_limit_s: float
    positional: tuple[str, ...] = ()


def plan_cases(
    pack: Pack, device: Device, cases: Sequence[Case] | None = None, limits: Limits | None = None
) -> list[PlannedCase]:
    """Return the planned cases, in order; ``cases`` replaces the pack's battery if given.

    ``limits`` gives the time limit of calls whose case and function set none (``call_s``).

    A case is worth ``points x weight / (sum of the weights of its function's cases)``, in
    hundredths that add up to the function's points exactly (worker.grading.points).
    The pack's own battery and its inputs are built once per process; explicit ``cases``
    are built every time.
    """
    battery = pack_battery(pack, device) if cases is None else Battery(pack.cases, list(cases))
    shares = case_points(pack, battery.cases)
    call_s = (limits or Limits()).call_s
    planned = []
    for index, case in enumerate(battery.cases):
        spec = pack.graded(case.function)
        if index not in battery.inputs:
            battery.inputs[index] = case.build()
        limit = next(t for t in (case.time_limit_s, spec.time_limit_s, call_s) if t is not None)
        inputs = battery.inputs[index]
        planned.append(
            PlannedCase(case, f"c{index}", inputs, shares[index], limit, spec.positional)
        )
    return planned


def case_points(pack: Pack, cases: Sequence[Case]) -> list[float]:
    """Each case's points (by index): its function's points split by the cases' weights."""
    indices: dict[str, list[int]] = defaultdict(list)
    for index, case in enumerate(cases):
        indices[case.function].append(index)
    shares = [0.0] * len(cases)
    for function, members in indices.items():
        weights = [cases[i].weight for i in members]
        for i, share in zip(
            members, split_points(pack.graded(function).points, weights), strict=True
        ):
            shares[i] = share
    return shares


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
            positional=by_position(p.positional, p.inputs),
            probe=p.case.probe,
            time_limit_s=p.time_limit_s,
            substitutes=lent.get(p.case.function, ()),
            hidden=p.case.visibility == "hidden",
        )
        for p in chosen
    )


def by_position(required: Sequence[str], inputs: Mapping[str, Any]) -> tuple[str, ...]:
    """The inputs passed by position: the required parameters up to the first one a case
    does not give (the rest go by keyword, so no argument lands in the wrong place)."""
    names = []
    for name in required:
        if name not in inputs:
            break
        names.append(name)
    return tuple(names)
