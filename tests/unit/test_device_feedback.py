"""Device bugs in torch submissions, judged on the CPU from hand-built observations.

A result that came back on the CPU while the inputs were on CUDA, and a call that raised
because it mixed the two, both name the fix: make new tensors on the inputs' device.
"""

from __future__ import annotations

import numpy as np
import pytest

from reference import devices
from reference import kernels_numpy as ref
from reference.pack import Observation, TensorValue
from reference.packs import get_pack
from worker.grading.plan import plan_cases
from worker.grading.verdicts import judge
from worker.sandbox.host.api import ImportOutcome

TORCH = get_pack("lecture4-torch")
FIX = "create new tensors with device=X.device (and dtype=X.dtype)"


def planned(function: str, device: str = "cuda"):
    """The first planned case of ``function`` on ``device``."""
    return next(p for p in plan_cases(TORCH, device) if p.case.function == function)


def as_tensor(value, dtype: str, device: str) -> TensorValue:
    return TensorValue(np.asarray(value, dtype=dtype), dtype, device)


def train_result(p, device_of_w: str) -> tuple:
    """train_sgd's reference result, with W on ``device_of_w`` and b on cuda."""
    plain = {k: getattr(v, "array", v) for k, v in p.inputs.items()}
    W, b, losses = ref.train_sgd(**plain)
    return (as_tensor(W, "float64", device_of_w), as_tensor(b, "float64", "cuda:0"), losses)


def test_train_sgd_returning_w_on_the_cpu_names_the_fix():
    p = planned("train_sgd")
    verdict = p.case.check(p.inputs, Observation("ok", train_result(p, "cpu")))
    assert not verdict.passed and verdict.diagnosis == "wrong_device"
    assert verdict.message == (f"train_sgd returned W on cpu, but the inputs were on cuda: {FIX}")
    assert p.case.check(p.inputs, Observation("ok", train_result(p, "cuda:0"))).passed


def test_a_cpu_result_of_the_default_dtype_is_told_about_the_device_first():
    p = planned("cross_entropy_grad")
    plain = {k: getattr(v, "array", v) for k, v in p.inputs.items()}
    dW, db = ref.cross_entropy_grad(**plain)
    value = (as_tensor(dW, "float32", "cpu"), as_tensor(db, "float64", "cuda:0"))
    verdict = p.case.check(p.inputs, Observation("ok", value))
    assert verdict.diagnosis == "wrong_device"
    assert verdict.message.startswith("cross_entropy_grad returned dW on cpu, but the inputs")


def test_a_float_from_quality_has_no_device_to_get_wrong():
    p = planned("quality")
    plain = {k: getattr(v, "array", v) for k, v in p.inputs.items()}
    assert p.case.check(p.inputs, Observation("ok", float(ref.quality(**plain)))).passed


def test_on_the_cpu_a_cpu_result_is_right():
    p = planned("train_sgd", device="cpu")
    plain = {k: getattr(v, "array", v) for k, v in p.inputs.items()}
    W, b, losses = ref.train_sgd(**plain)
    value = (as_tensor(W, "float64", "cpu"), as_tensor(b, "float64", "cpu"), losses)
    assert p.case.check(p.inputs, Observation("ok", value)).passed


MIXED = [
    "RuntimeError: Expected all tensors to be on the same device, but found at least two "
    "devices, cuda:0 and cpu!",
    "RuntimeError: Expected all tensors to be on the same device, but got mat2 is on cpu, "
    "different from other tensors on cuda:0 (when checking argument in method wrapper_CUDA_mm)",
    "RuntimeError: indices should be either on cpu or on the same device as the indexed "
    "tensor (cpu)",
]


@pytest.mark.parametrize("line", MIXED)
def test_torch_refusing_to_mix_devices_is_a_wrong_device_verdict_with_the_fix(line):
    p = planned("cross_entropy_grad")
    error = f'Traceback (most recent call last):\n  File "submission.py", line 31\n{line}'
    verdict = judge(TORCH, p, Observation("exception", error=error), (), ImportOutcome("ok"), "")
    assert not verdict.passed and verdict.diagnosis == "wrong_device"
    assert verdict.message.startswith("cross_entropy_grad mixes tensors on different devices")
    assert FIX in verdict.message and 'submission.py", line 31' in verdict.message


def test_other_exceptions_stay_plain_exceptions():
    p = planned("softmax")
    error = "RuntimeError: The size of tensor a (4) must match the size of tensor b (5)"
    verdict = judge(TORCH, p, Observation("exception", error=error), (), ImportOutcome("ok"), "")
    assert verdict.diagnosis == "exception"


def test_the_fix_names_x_else_the_first_float_input():
    assert devices.anchor({"W": 1, "X": 2}) == "X"
    scores = np.zeros((2, 3))
    assert devices.anchor({"labels": np.zeros(2, dtype=np.int64), "scores": scores}) == "scores"
    assert devices.anchor({"t": 3}) == "the input"
