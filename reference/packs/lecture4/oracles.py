"""Trusted stand-ins for a student's helpers: the NumPy reference, run in the grader.

When train_sgd's failed cases are graded again with the reference sgd_step in place of the
student's (``FunctionSpec.helpers``), each call the student's code makes to sgd_step comes
here with the arguments it passed. An oracle checks them as the spec states that
function's arguments (exact types, shapes, integer labels in range), computes in float64
with ``reference.kernels_numpy``, and answers in the caller's float dtype: NumPy arrays and
floats for lecture4-numpy, TensorArgs (the sandbox rebuilds them as tensors on the
caller's device) for lecture4-torch. Arguments it cannot use raise ValueError or TypeError
with a sentence for the student. Nothing here imports torch, so no CUDA is touched.

The arguments come from student code and the oracle runs in the grader: besides the
sandbox's own bound on their size (no larger than the call's inputs), the arrays an
oracle builds are bounded here: N*K scores and K*D weights at most ``MAX_CELLS``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from reference import kernels_numpy as ref
from reference.pack import Oracle, Runtime, TensorArg, TensorValue

HELPERS = ("softmax", "cross_entropy", "cross_entropy_grad", "sgd_step")
LABELS = "labels"
NUMBERS = ("lr",)
MAX_CELLS = 2**22  # N*K, K*D: 32 MiB in float64, far above any case of the pack


def oracles(runtime: Runtime) -> dict[str, Oracle]:
    """The oracles of the graded functions that others build on, for ``runtime``."""
    return {name: _oracle(name, runtime) for name in HELPERS}


def _oracle(name: str, runtime: Runtime) -> Oracle:
    signature = inspect.signature(getattr(ref, name))

    def oracle(*args: Any, **kwargs: Any) -> Any:
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"the reference {name}: {e}") from None
        plain = {k: _plain(name, k, v, runtime) for k, v in bound.arguments.items()}
        SHAPES[name](name, plain)
        dtype = _float_dtype(bound.arguments.values())
        with np.errstate(all="ignore"):  # a diverging student run: nan in, nan out, no noise
            value = getattr(ref, name)(**_as_float64(plain))
            return _answer(value, dtype, runtime)

    oracle.__name__ = oracle.__qualname__ = f"{name}_oracle"
    return oracle


def _plain(function: str, name: str, value: Any, runtime: Runtime) -> Any:
    """One argument as NumPy (or a float for numbers); TypeError if it is of the wrong kind."""
    if name in NUMBERS:
        if type(value) in (int, float):
            return float(value)
        array = value.array if type(value) is TensorValue else value
        if type(array) is np.ndarray and array.ndim == 0 and array.dtype.kind in "fiu":
            return float(array)
        raise TypeError(f"the reference {function}: {name} must be a number")
    kind, wanted = (TensorValue, "a tensor") if runtime == "torch" else (np.ndarray, "an array")
    if type(value) is not kind:
        raise TypeError(f"the reference {function}: {name} must be {wanted}")
    array = value.array if kind is TensorValue else value
    kinds = "iu" if name == LABELS else "fiu"
    if array.dtype.kind not in kinds:
        what = "integers" if name == LABELS else "numbers"
        raise TypeError(f"the reference {function}: {name} must hold {what}")
    return array


def _as_float64(plain: Mapping[str, Any]) -> dict[str, Any]:
    """Arrays in float64 (labels as int64), numbers as they are."""
    return {
        k: v.astype(np.int64 if k == LABELS else np.float64) if isinstance(v, np.ndarray) else v
        for k, v in plain.items()
    }


def _float_dtype(arguments: Any) -> np.dtype:
    """The dtype to answer in: the first float array argument's, else float64."""
    for value in arguments:
        array = value.array if type(value) is TensorValue else value
        if isinstance(array, np.ndarray) and array.dtype.kind == "f":
            return array.dtype
    return np.dtype(np.float64)


def _answer(value: Any, dtype: np.dtype, runtime: Runtime) -> Any:
    """The reference's result in ``dtype``: arrays and floats, or TensorArgs for torch."""
    if isinstance(value, tuple):
        return tuple(_answer(item, dtype, runtime) for item in value)
    array = np.asarray(value, dtype=dtype)
    if runtime == "torch":
        return TensorArg(array)
    return array if array.ndim else float(array)


# ---------------------------------------------------------------- shapes (spec: Conventions)


def _shapes(plain: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} {v.shape}" for k, v in plain.items() if isinstance(v, np.ndarray))


def _refuse(function: str, wanted: str, plain: Mapping[str, Any]) -> None:
    raise ValueError(f"the reference {function} expects {wanted}; got {_shapes(plain)}")


def _bounded(function: str, **sizes: int) -> None:
    for name, cells in sizes.items():
        if cells > MAX_CELLS:
            raise ValueError(f"the reference {function} handles {name} up to {MAX_CELLS}")


def _labels_in_range(function: str, labels: np.ndarray, k: int) -> None:
    if labels.size and not (0 <= labels.min() and labels.max() < k):
        raise ValueError(f"the reference {function} expects labels in [0, K), K = {k}")


def _softmax(function: str, p: Mapping[str, Any]) -> None:
    if p["scores"].ndim != 2 or 0 in p["scores"].shape:
        _refuse(function, "scores of shape (N, K), N and K at least 1", p)
    _bounded(function, **{"N*K": p["scores"].size})


def _cross_entropy(function: str, p: Mapping[str, Any]) -> None:
    scores, labels = p["scores"], p[LABELS]
    if scores.ndim != 2 or 0 in scores.shape or labels.shape != scores.shape[:1]:
        _refuse(function, "scores (N, K) and labels (N,), N and K at least 1", p)
    _bounded(function, **{"N*K": scores.size})
    _labels_in_range(function, labels, scores.shape[1])


def _cross_entropy_grad(function: str, p: Mapping[str, Any]) -> None:
    W, b, X, labels = p["W"], p["b"], p["X"], p[LABELS]
    if W.ndim != 2 or X.ndim != 2 or 0 in W.shape or 0 in X.shape:
        _refuse(function, "W (K, D), b (K,), X (N, D) and labels (N,)", p)
    if b.shape != W.shape[:1] or X.shape[1] != W.shape[1] or labels.shape != X.shape[:1]:
        _refuse(function, "W (K, D), b (K,), X (N, D) and labels (N,) with the same K, D, N", p)
    _bounded(function, **{"N*K": X.shape[0] * W.shape[0], "K*D": W.size, "N*D": X.size})
    _labels_in_range(function, labels, W.shape[0])


def _sgd_step(function: str, p: Mapping[str, Any]) -> None:
    W, b = p["W"], p["b"]
    if (
        W.ndim != 2
        or b.shape != W.shape[:1]
        or p["dW"].shape != W.shape
        or p["db"].shape != b.shape
    ):
        _refuse(function, "W (K, D), b (K,), dW of W's shape and db of b's shape", p)
    _bounded(function, **{"K*D": p["W"].size})


SHAPES: dict[str, Callable[[str, Mapping[str, Any]], None]] = {
    "softmax": _softmax,
    "cross_entropy": _cross_entropy,
    "cross_entropy_grad": _cross_entropy_grad,
    "sgd_step": _sgd_step,
}
