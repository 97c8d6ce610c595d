"""Feedback for tensors on the wrong device: the one mistake CUDA grading adds.

A torch submission that builds a new tensor without ``device=`` (``torch.zeros(K, D)``,
``torch.arange(N)``, a one-hot) makes it on the CPU. Graded on CUDA, that either comes
back as a result on the wrong device, or meets a CUDA input and raises ("Expected all
tensors to be on the same device"). Both get the same advice, naming an input of the
call as the model to copy. Pure text, no torch: the pack's checks and the pipeline's
exception path both use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

DIAGNOSIS = "wrong_device"
# What torch raises when tensors on two devices meet (several wordings across versions).
MIXING = (
    "expected all tensors to be on the same device",
    "found at least two devices",
    "indices should be either on cpu or on the same device",
    "expected object of device type",
    "is on a different device",
)


def anchor(inputs: Mapping[str, Any]) -> str:
    """The input whose device and dtype a new tensor should copy: X, else the first float one."""
    if "X" in inputs:
        return "X"
    for name, value in inputs.items():
        array = getattr(value, "array", value)  # a TensorArg, or its NumPy array
        if isinstance(array, np.ndarray) and array.dtype.kind == "f":
            return name
    return "the input"


def fix(inputs: Mapping[str, Any]) -> str:
    """'create new tensors with device=X.device (and dtype=X.dtype)'."""
    name = anchor(inputs)
    return f"create new tensors with device={name}.device (and dtype={name}.dtype)"


def device_type(device: str) -> str:
    """'cuda:0' -> 'cuda': devices are compared by type."""
    return device.split(":", 1)[0]


def returned_message(function: str, label: str, got: str, wanted: str, inputs: Mapping) -> str:
    """'train_sgd returned W on cpu, but the inputs were on cuda: create new tensors ...'."""
    return (
        f"{function} returned {label} on {device_type(got)}, but the inputs were on "
        f"{device_type(wanted)}: {fix(inputs)}"
    )


def is_mixing_error(error: str) -> bool:
    """Whether an exception text is torch refusing to mix tensors on different devices."""
    text = error.lower()
    return any(pattern in text for pattern in MIXING)


def mixing_message(function: str, error_line: str, inputs: Mapping[str, Any]) -> str:
    """The advice for a call that raised because it mixed devices."""
    return (
        f"{function} mixes tensors on different devices ({error_line}): a tensor made "
        f"without device= is on the CPU, whatever the inputs are on; {fix(inputs)}"
    )
