"""Checks of train_sgd: full-batch runs must be gradient descent, mini-batch runs must learn.

The spec grades train_sgd by behaviour, not bit-equality: batches are random, and any way
of drawing distinct indices counts. With batch_size == N every batch is the whole data,
so W, b and losses must match full-batch gradient descent. With smaller batches the final
loss on all the data must be at most max(1.10 x the reference's, the reference's + 0.05),
the reference trained with the same settings, and the losses must go down.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from reference import kernels_numpy as ref
from reference.compare import Comparison, a_type, compare, compare_form
from reference.pack import Check, Inputs, Observation, TensorValue, Tolerance, Verdict
from reference.packs.lecture4.checks import (
    Binding,
    cached,
    device_verdict,
    expectations,
    plain_inputs,
    split,
)
from reference.packs.lecture4.inputs import as_float64

# Rounding differences grow over the iterations of training: widen the pack's tolerance.
TRAIN_SLACK = 100.0
# "The losses go down": the mean of the last tenth is below the mean of the first tenth.
# Means over a tenth, not single losses, since mini-batch losses are noisy.
TENTH = 0.1


def losses_array(value: Any, num_iters: int, reveal: bool) -> Comparison:
    """Turn ``losses`` (list of numbers or 0-dim tensors, 1-D array or tensor) into floats."""
    subject = "train_sgd: losses"
    if type(value) in (np.ndarray, TensorValue):
        array = value if type(value) is np.ndarray else value.array
        if array.ndim != 1 or array.dtype.kind not in "fiu":
            return Comparison("type", f"{subject} is not a 1-D array of numbers")
    elif type(value) in (list, tuple):
        items = [v.array if type(v) is TensorValue else v for v in value]
        if not all(_is_number(v) for v in items):
            return Comparison("type", f"{subject} holds something other than numbers")
        array = np.array(items, dtype=np.float64)
    else:
        return Comparison("type", f"{subject} is {a_type(value)}, expected a sequence")
    if len(array) != num_iters:
        count = f"has {len(array)} entries, expected num_iters = {num_iters}"
        wrong = count if reveal else "does not have num_iters entries"
        return Comparison("shape", f"{subject} {wrong}")
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        return Comparison("finite", f"{subject} contains nan or inf", array)
    return Comparison("ok", "", array)


def _is_number(value: Any) -> bool:
    """A real number: a Python or NumPy int/float, or a 0-dim numeric array (not a bool)."""
    if type(value) in (int, float) or isinstance(value, np.integer | np.floating):
        return True
    return type(value) is np.ndarray and value.ndim == 0 and value.dtype.kind in "fiu"


def exact_check(name: str, binding: Binding, reveal: bool) -> Check:
    """batch_size == N: W, b and losses must equal full-batch gradient descent's."""

    def check(inputs: Inputs, observation: Observation) -> Verdict:
        plain = plain_inputs(inputs)
        outputs, why = split("train_sgd", observation.value)
        if outputs is None:
            return Verdict(False, why)
        wrong_device = device_verdict("train_sgd", outputs, inputs, binding)
        if wrong_device is not None:
            return wrong_device
        W, b, losses = cached(name, lambda: ref.train_sgd(**as_float64(plain)))
        expects = [
            replace(e, tolerance=_slack(e.tolerance))
            for e in expectations("train_sgd", plain, binding)
        ]
        results = [
            compare(outputs[0], W, expects[0], reveal=reveal),
            compare(outputs[1], b, expects[1], reveal=reveal),
        ]
        got_losses = losses_array(outputs[2], plain["num_iters"], reveal)
        if got_losses.passed:
            losses_expect = replace(expects[2], runtime="numpy", dtype=None, device=None)
            got_losses = compare(got_losses.actual, np.array(losses), losses_expect, reveal=reveal)
        results.append(got_losses)
        failed = next((r for r in results if not r.passed), None)
        if failed is None:
            return Verdict(True)
        if failed.layer != "value":
            return Verdict(False, failed.message)
        hint = "; with batch_size == N every step must be one full-batch gradient descent step"
        return Verdict(False, failed.message + hint)

    return check


def _slack(tol: Tolerance) -> Tolerance:
    """The pack's tolerance widened TRAIN_SLACK times."""
    return Tolerance(rtol=tol.rtol * TRAIN_SLACK, atol=tol.atol * TRAIN_SLACK)


def behaviour_check(name: str, binding: Binding, reveal: bool) -> Check:
    """Mini-batches: the right shapes, falling losses, and a final loss near the reference's."""

    def check(inputs: Inputs, observation: Observation) -> Verdict:
        plain = plain_inputs(inputs)
        outputs, why = split("train_sgd", observation.value)
        if outputs is None:
            return Verdict(False, why)
        wrong_device = device_verdict("train_sgd", outputs, inputs, binding)
        if wrong_device is not None:
            return wrong_device
        expects = expectations("train_sgd", plain, binding)
        k, d = plain["num_classes"], plain["X"].shape[1]
        results = [
            compare_form(outputs[0], (k, d), expects[0], reveal=reveal),
            compare_form(outputs[1], (k,), expects[1], reveal=reveal),
            losses_array(outputs[2], plain["num_iters"], reveal),
        ]
        failed = [r for r in results if not r.passed]
        if failed:
            return Verdict(False, failed[0].message)
        falling = _falling(results[2].actual, reveal)
        if falling:
            return Verdict(False, falling, "losses_not_falling")
        final = _full_loss(plain, results[0].actual, results[1].actual)
        reference = cached(f"{name} [{binding.runtime}]", lambda: _reference_loss(plain, binding))
        return _judge_final(final, reference, reveal)

    return check


def _falling(losses: np.ndarray, reveal: bool) -> str:
    """'' if the losses go down, else why not."""
    tenth = max(1, int(len(losses) * TENTH))
    first, last = losses[:tenth].mean(), losses[-tenth:].mean()
    if last < first:
        return ""
    message = "train_sgd: the losses do not go down"
    if reveal:
        message += f" (mean of the first {tenth}: {first:.4g}, of the last {tenth}: {last:.4g})"
    return message + "; check the sign of the step and the gradient of the batch"


def _full_loss(plain: Mapping[str, Any], W: np.ndarray, b: np.ndarray) -> float:
    """Cross-entropy of (W, b) on all the data, in float64."""
    x = as_float64(plain)
    return ref.cross_entropy(x["X"] @ W.T + b, x["labels"])


def _reference_loss(plain: Mapping[str, Any], binding: Binding) -> float:
    """The reference's final full-data loss, trained with the same settings and runtime."""
    if binding.runtime == "numpy":
        W, b, _ = ref.train_sgd(**plain)
        return _full_loss(plain, W, b)
    import torch  # only torch packs get here; the numpy pack never loads torch

    from reference import kernels_torch

    tensors = {k: torch.as_tensor(v) if isinstance(v, np.ndarray) else v for k, v in plain.items()}
    W, b, _ = kernels_torch.train_sgd(**tensors)
    return _full_loss(plain, W.numpy().astype(np.float64), b.numpy().astype(np.float64))


def _judge_final(final: float, reference: float, reveal: bool) -> Verdict:
    """Pass if ``final`` <= max(1.10 x reference, reference + 0.05)."""
    bound = max(1.10 * reference, reference + 0.05)
    if final <= bound:
        return Verdict(True)
    message = "train_sgd: the final loss on all the data is too high"
    if reveal:
        message += (
            f": {final:.4g}, allowed at most {bound:.4g} (the reference reaches {reference:.4g})"
        )
    return Verdict(False, message + "; check the gradient, the step and that each batch is random")
