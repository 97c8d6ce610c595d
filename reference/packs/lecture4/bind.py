"""Bind the runtime-free battery to a runtime and device: Cases with inputs and checks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import numpy as np

from reference.pack import Case, Check, Device, Probe, Runtime, TensorArg, Tolerance
from reference.packs.lecture4 import training
from reference.packs.lecture4.cases import CaseDef, battery
from reference.packs.lecture4.checks import Binding, autograd_check, value_check

# float64 results of the same formula differ by rounding only; float32 inputs leave about
# 7 significant digits, fewer after sums over thousands of entries.
TOLERANCES: Mapping[str, Tolerance] = {
    "float64": Tolerance(rtol=1e-7, atol=1e-10),
    "float32": Tolerance(rtol=1e-4, atol=1e-6),
}


def make_cases(runtime: Runtime, tolerances: Mapping[str, Tolerance]) -> Callable:
    """Return the pack's ``cases(device)``: built once per device, a fresh list per call."""

    @cache
    def built(device: Device) -> tuple[Case, ...]:
        binding = Binding(runtime, device, tolerances)
        defs = [d for d in battery() if runtime == "torch" or not d.torch_only]
        return tuple(bind(d, binding) for d in defs)

    def cases(device: Device) -> list[Case]:
        return list(built(device))

    return cases


def bind(defn: CaseDef, binding: Binding) -> Case:
    """Turn a CaseDef into a Case for ``binding``'s runtime and device."""
    reveal = defn.visibility == "visible"
    checks: dict[str, Callable[[], Check]] = {
        "value": lambda: value_check(defn.name, defn.function, binding, reveal),
        "grad": lambda: autograd_check(defn.name, binding, reveal),
        "train_exact": lambda: training.exact_check(defn.name, binding, reveal),
        "train_behaviour": lambda: training.behaviour_check(defn.name, binding, reveal),
    }
    grad = defn.kind == "grad"
    build = defn.make if binding.runtime == "numpy" else _as_tensors(defn.make, grad)
    return Case(
        name=defn.name,
        function=defn.function,
        build=build,
        check=checks[defn.kind](),
        describe=defn.describe,
        visibility=defn.visibility,
        probe=Probe("grad", wrt="scores") if grad else Probe(),
    )


def _as_tensors(make: Callable[[], dict[str, Any]], grad: bool) -> Callable[[], dict[str, Any]]:
    """Wrap a build so arrays become TensorArgs (scores requiring grad for grad probes)."""

    def build() -> dict[str, Any]:
        return {
            name: TensorArg(value, requires_grad=grad and name == "scores")
            if isinstance(value, np.ndarray)
            else value
            for name, value in make().items()
        }

    return build
