"""Both reference kernels against each other, torch.nn.CrossEntropyLoss, autograd and finite
differences: the independent checks the truth is measured by."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch

from reference import kernels_numpy as kn
from reference import kernels_torch as kt


def to_numpy(value: object) -> object:
    """Turn a torch kernel's result (tensor, tuple of tensors, float, list) into NumPy data."""
    if isinstance(value, tuple):
        return tuple(to_numpy(item) for item in value)
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return value


def call_numpy(name: str, *args: object) -> object:
    """Call the NumPy kernel ``name`` with NumPy arguments."""
    return getattr(kn, name)(*args)


def call_torch(name: str, *args: object) -> object:
    """Call the Torch kernel ``name`` with NumPy arguments turned into CPU tensors."""
    tensors = [torch.from_numpy(arg) if isinstance(arg, np.ndarray) else arg for arg in args]
    return to_numpy(getattr(kt, name)(*tensors))


KERNELS = {"numpy": call_numpy, "torch": call_torch}
Kernel = Callable[..., object]


@pytest.fixture(params=list(KERNELS))
def kernel(request: pytest.FixtureRequest) -> Kernel:
    """Each kernel module in turn, called with NumPy arguments and returning NumPy data."""
    return KERNELS[request.param]


def random_problem(n: int = 7, d: int = 4, k: int = 3, seed: int = 0) -> tuple[np.ndarray, ...]:
    """Return float64 W (k, d), b (k,), X (n, d) and int64 labels (n,)."""
    rng = np.random.default_rng(seed)
    W, b, X = rng.normal(size=(k, d)), rng.normal(size=k), rng.normal(size=(n, d))
    return W, b, X, rng.integers(0, k, size=n)


def torch_loss(scores: np.ndarray, labels: np.ndarray) -> float:
    """Return ``torch.nn.CrossEntropyLoss()(scores, labels)`` in the dtype of ``scores``."""
    return torch.nn.CrossEntropyLoss()(torch.from_numpy(scores), torch.from_numpy(labels)).item()


# (N, K, per-row magnitudes): the spread of rows the brief asks for, each case small.
LOSS_CASES = {
    "K=2": (50, 2, [1.0]),
    "K=1000": (8, 1000, [1.0]),
    "N=1": (1, 5, [1.0]),
    "magnitude 1e3": (20, 10, [1e3]),
    "magnitude 1e4": (20, 10, [1e4]),
    "rows of mixed magnitude": (8, 10, [1e-3, 1.0, 1e2, 1e4]),
}
TOLERANCES = {np.float64: 1e-12, np.float32: 1e-5}


@pytest.mark.parametrize("dtype", list(TOLERANCES), ids=["float64", "float32"])
@pytest.mark.parametrize("case", list(LOSS_CASES))
def test_cross_entropy_equals_torch_cross_entropy_loss(kernel: Kernel, case: str, dtype) -> None:
    n, k, magnitudes = LOSS_CASES[case]
    rng = np.random.default_rng(len(case))
    row_scale = np.resize(np.asarray(magnitudes), n)[:, None]
    scores = (rng.normal(size=(n, k)) * row_scale).astype(dtype)
    labels = rng.integers(0, k, size=n)
    got = float(kernel("cross_entropy", scores, labels))
    assert np.isfinite(got)
    tol = TOLERANCES[dtype]
    assert got == pytest.approx(torch_loss(scores, labels), rel=tol, abs=tol)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
def test_cross_entropy_grad_equals_autograd_of_torch_loss(kernel: Kernel, dtype) -> None:
    W, b, X, labels = random_problem(n=9, d=5, k=4, seed=1)
    W_t, b_t = (torch.tensor(a, dtype=dtype, requires_grad=True) for a in (W, b))
    X_t, labels_t = torch.tensor(X, dtype=dtype), torch.from_numpy(labels)
    torch.nn.CrossEntropyLoss()(X_t @ W_t.T + b_t, labels_t).backward()
    np_dtype = np.float64 if dtype == torch.float64 else np.float32
    args = [a.astype(np_dtype) for a in (W, b, X)]
    dW, db = kernel("cross_entropy_grad", *args, labels)
    tol = 1e-12 if dtype == torch.float64 else 1e-5
    np.testing.assert_allclose(dW, W_t.grad.numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(db, b_t.grad.numpy(), rtol=tol, atol=tol)


def naive_loss(W: np.ndarray, b: np.ndarray, X: np.ndarray, labels: np.ndarray) -> float:
    """Textbook cross-entropy of X @ W.T + b, independent of both kernels (small scores only)."""
    scores = X @ W.T + b
    probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    return float(-np.log(probs[np.arange(len(labels)), labels]).mean())


def centred_differences(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float) -> np.ndarray:
    """Return the centred finite-difference gradient of scalar ``f`` at ``x`` (shape of x)."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = eps
        grad[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cross_entropy_grad_equals_centred_finite_differences(kernel: Kernel, seed: int) -> None:
    W, b, X, labels = random_problem(seed=seed)
    dW, db = kernel("cross_entropy_grad", W, b, X, labels)
    dW_fd = centred_differences(lambda W_: naive_loss(W_, b, X, labels), W, eps=1e-6)
    db_fd = centred_differences(lambda b_: naive_loss(W, b_, X, labels), b, eps=1e-6)
    np.testing.assert_allclose(dW, dW_fd, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(db, db_fd, rtol=1e-6, atol=1e-8)


def as_tuple(result: object) -> tuple:
    """Return a kernel's result as a tuple of its parts (a single value becomes a 1-tuple)."""
    return result if isinstance(result, tuple) else (result,)


def test_numpy_and_torch_agree_on_every_kernel_in_float64() -> None:
    W, b, X, labels = random_problem(n=12, d=5, k=4, seed=5)
    scores = X @ W.T + b
    probs = kn.softmax(scores)
    calls = {
        "softmax": (scores,),
        "quality": (probs, labels),
        "cross_entropy": (scores, labels),
        "cross_entropy_grad": (W, b, X, labels),
        "sgd_step": (W, b, np.ones_like(W), np.ones_like(b), 0.3),
        "lr_schedule": (27,),
        # Full batch: the two modules' random draws differ, the batches do not.
        "train_sgd": (X, labels, 4, 0.5, 12, 6),
    }
    assert set(calls) == set(kn.FUNCTIONS)
    for name, args in calls.items():
        got_numpy, got_torch = as_tuple(call_numpy(name, *args)), as_tuple(call_torch(name, *args))
        for a, t in zip(got_numpy, got_torch, strict=True):
            np.testing.assert_allclose(a, t, rtol=1e-12, atol=1e-14, err_msg=name)
