"""What the lab01 checks share: the true labels, tolerances, and how a variable reads.

Everything here works on what the sandbox described (reference.pack.VariableValue): the
type's qualified name, and the value as data (a TensorValue for a tensor).
"""

from __future__ import annotations

import numpy as np

from reference.pack import TensorValue, Tolerance, VariableValue

# x(0) belongs to class 0, x(1) and x(2) to class 1 (the notebook's labels cell)
LABELS = np.array([0, 1, 1], dtype=np.int64)
MAX_LOSS = 0.05
FLOATING = ("float64", "float32", "float16", "bfloat16")

# |got - expected| within rtol * |expected| or within atol: float32 and float64 as the spec
# says; the half-precision types are looser (the spec is silent; see README.md).
TOLERANCES = {
    "float64": Tolerance(rtol=1e-7, atol=1e-10),
    "float32": Tolerance(rtol=1e-4, atol=1e-6),
    "float16": Tolerance(rtol=1e-2, atol=1e-3),
    "bfloat16": Tolerance(rtol=2e-2, atol=1e-2),
}

# The losses students reach for by mistake, by type name, as the lecture and torch name them
LOSSES = {
    "torch.nn.modules.loss.CrossEntropyLoss": "nn.CrossEntropyLoss",
    "torch.nn.modules.loss.NLLLoss": "nn.NLLLoss",
    "torch.nn.modules.loss.BCELoss": "nn.BCELoss",
    "torch.nn.modules.loss.BCEWithLogitsLoss": "nn.BCEWithLogitsLoss",
    "torch.nn.modules.loss.MSELoss": "nn.MSELoss",
}
CROSS_ENTROPY_LOSS = "torch.nn.modules.loss.CrossEntropyLoss"


def tensor(variable: VariableValue | None) -> TensorValue | None:
    """The variable's tensor, or None if it holds something else (or is missing)."""
    if variable is None or type(variable.value) is not TensorValue:
        return None
    return variable.value


def what(variable: VariableValue) -> str:
    """Name what a variable holds the way a student reads it: 'a Python float', 'a list'."""
    if variable.class_name is not None:
        short = LOSSES.get(variable.class_name, variable.class_name.rsplit(".", 1)[-1])
        return f"the class {short} itself"
    value = variable.value
    if type(value) is TensorValue:
        return f"a {value.dtype} tensor of shape {shape(value.array)}"
    if type(value) is np.ndarray:
        return "a NumPy array"
    if type(value) in (float, int, bool):
        return f"a Python {type(value).__name__}"
    if type(value) in (list, tuple):
        return f"a Python {type(value).__name__}"
    name = variable.type_name
    return f"a {LOSSES.get(name, name.rsplit('.', 1)[-1])}"


def shape(array: np.ndarray) -> str:
    """'(3, 2)', '(3,)' or '()'."""
    return str(tuple(int(n) for n in array.shape))


def cross_entropy(scores: np.ndarray, labels: np.ndarray) -> float:
    """The lecture's L = (1/N) sum_i -log(entry cl(i) of softmax(scores[i])), in float64
    with the log-sum-exp trick. scores (N, C) of any real dtype, labels (N,) in [0, C)."""
    s = np.asarray(scores, dtype=np.float64)
    shifted = s - s.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(labels)), labels].mean())


def close(got: float, expected: float, tolerance: Tolerance) -> bool:
    """Whether ``got`` is within the relative or the absolute tolerance of ``expected``."""
    error = abs(got - expected)
    return bool(error <= tolerance.atol or error <= tolerance.rtol * abs(expected))
