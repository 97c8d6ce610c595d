"""Checks of lecture4 results: the reference's value, layered comparison, then diagnosis.

All of it runs in the trusted parent. A check gets the inputs it built and an "ok"
Observation, computes the expected value with the NumPy reference in float64 (cached per
case: inputs are deterministic), and returns a Verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from reference import devices
from reference import kernels_numpy as ref
from reference.compare import Comparison, Expect, a_type, compare
from reference.pack import (
    Check,
    Device,
    Inputs,
    Observation,
    Runtime,
    TensorArg,
    TensorValue,
    Tolerance,
    Verdict,
)
from reference.packs.lecture4.diagnose import Failure, diagnose
from reference.packs.lecture4.inputs import as_float64

# Each function's outputs: (label, symbolic shape); () is a scalar.
OUTPUTS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "softmax": (("probs", ("N", "K")),),
    "quality": (("Q_mean", ()),),
    "cross_entropy": (("the loss", ()),),
    "cross_entropy_grad": (("dW", ("K", "D")), ("db", ("K",))),
    "sgd_step": (("W_new", ("K", "D")), ("b_new", ("K",))),
    "lr_schedule": (("the learning rate", ()),),
    "train_sgd": (("W", ("K", "D")), ("b", ("K",)), ("losses", ("T",))),
}

_expected_cache: dict[str, Any] = {}


@dataclass(frozen=True)
class Binding:
    """Where a case runs: the pack's runtime, the job's device and the pack's tolerances."""

    runtime: Runtime
    device: Device
    tolerances: Mapping[str, Tolerance]


def plain_inputs(inputs: Inputs) -> dict[str, Any]:
    """The inputs with TensorArgs unwrapped to their NumPy arrays."""
    return {k: v.array if isinstance(v, TensorArg) else v for k, v in inputs.items()}


def input_dtype(inputs: Mapping[str, Any]) -> str:
    """The dtype name of the float arrays among the inputs ('float64' if there are none)."""
    for value in inputs.values():
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            return value.dtype.name
    return "float64"


def sizes(inputs: Mapping[str, Any]) -> dict[str, int]:
    """The case's N, K and D (and T = num_iters), read from the inputs' shapes."""
    found: dict[str, int] = {}
    for name, dims in (("scores", "NK"), ("probs", "NK"), ("W", "KD"), ("X", "ND")):
        if name in inputs:
            found.update(zip(dims, inputs[name].shape, strict=True))
    if "num_classes" in inputs:
        found["K"] = inputs["num_classes"]
    if "num_iters" in inputs:
        found["T"] = inputs["num_iters"]
    return found


def cached(key: str, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per key and process (a case's expected value)."""
    if key not in _expected_cache:
        _expected_cache[key] = compute()
    return _expected_cache[key]


def expectations(function: str, plain: Mapping[str, Any], binding: Binding) -> list[Expect]:
    """One Expect per output of ``function`` for these inputs."""
    dtype = input_dtype(plain)
    torch = binding.runtime == "torch"
    has_tensors = any(isinstance(v, np.ndarray) for v in plain.values())
    return [
        Expect(
            function=function,
            label=label,
            runtime=binding.runtime,
            tolerance=binding.tolerances[dtype],
            dims=dims,
            sizes=sizes(plain),
            dtype=dtype if torch and has_tensors else None,
            device=binding.device if torch and has_tensors else None,
            number_ok=not (torch and function == "cross_entropy"),
        )
        for label, dims in OUTPUTS[function]
    ]


def split(function: str, value: Any) -> tuple[tuple[Any, ...] | None, str]:
    """Split a result into its outputs, or (None, why) if it is not the tuple asked for."""
    labels = [label for label, _ in OUTPUTS[function]]
    if len(labels) == 1:
        return (value,), ""
    if type(value) in (tuple, list) and len(value) == len(labels):
        return tuple(value), ""
    what = a_type(value)
    if type(value) in (tuple, list):
        what += f" of {len(value)} items"
    return None, f"{function} returned {what}, expected a tuple ({', '.join(labels)})"


def verdict(
    function: str,
    plain: Mapping[str, Any],
    results: list[Comparison],
    expected: tuple[Any, ...],
    reveal: bool,
    tolerance: Tolerance,
) -> Verdict:
    """Pass if every output passed; else name the bug of every failed output, the function
    once ('cross_entropy_grad: dW ...; db ...'), and diagnose as the first one's."""
    failed = [i for i, result in enumerate(results) if not result.passed]
    if not failed:
        return Verdict(True)
    labels = [label for label, _ in OUTPUTS[function]]
    found = []
    for i in failed:
        failure = Failure(
            function=function,
            inputs=plain,
            actual=tuple(result.actual for result in results),
            expected=expected,
            output=i,
            layer=results[i].layer,
            message=results[i].message,
            tolerance=tolerance,
            label=labels[i] if len(labels) > 1 else "",
        )
        diagnosis = diagnose(failure, reveal=reveal)
        found.append((diagnosis.bug, diagnosis.message) if diagnosis else (None, failure.message))
    bug = next((bug for bug, _ in found if bug is not None), None)
    parts = [message.removeprefix(f"{function}: ") for _, message in found]
    head = found[0][1]
    message = "; ".join([head, *parts[1:]]) if head.startswith(function) else "; ".join(parts)
    return Verdict(False, message, bug)


def device_verdict(
    function: str, outputs: tuple[Any, ...], inputs: Inputs, binding: Binding
) -> Verdict | None:
    """Fail a torch result that came back on another device than the inputs were on.

    Checked before every other layer: a tensor made without ``device=`` also has torch's
    default dtype, and "put it on the inputs' device" is the fix that explains both.
    train_sgd's losses may be any sequence of numbers, so their device is free.
    """
    if binding.runtime != "torch" or not any(isinstance(v, TensorArg) for v in inputs.values()):
        return None
    for (label, _), got in zip(OUTPUTS[function], outputs, strict=True):
        if label == "losses" or not isinstance(got, TensorValue):
            continue
        if devices.device_type(got.device) != binding.device:
            message = devices.returned_message(function, label, got.device, binding.device, inputs)
            return Verdict(False, message, devices.DIAGNOSIS)
    return None


def value_check(name: str, function: str, binding: Binding, reveal: bool) -> Check:
    """A check comparing every output with the NumPy reference's, then diagnosing."""

    def check(inputs: Inputs, observation: Observation) -> Verdict:
        plain = plain_inputs(inputs)
        expected = cached(name, lambda: _reference(function, plain))
        outputs, why = split(function, observation.value)
        if outputs is None:
            return Verdict(False, why)
        wrong_device = device_verdict(function, outputs, inputs, binding)
        if wrong_device is not None:
            return wrong_device
        expects = expectations(function, plain, binding)
        results = [
            compare(got, want, expect, reveal=reveal)
            for got, want, expect in zip(outputs, expected, expects, strict=True)
        ]
        return verdict(function, plain, results, expected, reveal, expects[0].tolerance)

    return check


def _reference(function: str, plain: Mapping[str, Any]) -> tuple[Any, ...]:
    """The reference's outputs for ``plain`` inputs, computed in float64, as a tuple."""
    value = getattr(ref, function)(**as_float64(plain))
    return value if isinstance(value, tuple) else (value,)


def autograd_check(name: str, binding: Binding, reveal: bool) -> Check:
    """Torch: check cross_entropy's value, then its autograd gradient wrt scores."""
    value = value_check(name, "cross_entropy", binding, reveal)

    def check(inputs: Inputs, observation: Observation) -> Verdict:
        first = value(inputs, observation)
        if not first.passed:
            return first
        if observation.grad is None:
            message = (
                "cross_entropy: backward() gave no gradient for scores; build the loss from "
                "tensor operations on scores only (no .item(), .numpy() or new tensors)"
            )
            return Verdict(False, message, "not_differentiable")
        plain = plain_inputs(inputs)
        want = cached(f"{name} [grad]", lambda: _scores_gradient(plain))
        # The gradient has the shape, dtype and device of softmax's result.
        expect = replace(
            expectations("softmax", plain, binding)[0],
            function="cross_entropy",
            label="d loss / d scores",
        )
        result = compare(observation.grad, want, expect, reveal=reveal)
        return Verdict(result.passed, result.message)

    return check


def _scores_gradient(plain: Mapping[str, Any]) -> np.ndarray:
    """d cross_entropy / d scores = (softmax(scores) - onehot(labels)) / N, shape (N, K)."""
    x = as_float64(plain)
    probs = ref.softmax(x["scores"])
    n = len(x["labels"])
    probs[np.arange(n), x["labels"]] -= 1.0
    return probs / n
