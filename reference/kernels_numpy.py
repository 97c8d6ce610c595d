"""NumPy reference kernels for the lecture4 pack: softmax, cross-entropy and mini-batch SGD.

Shapes follow the spec (``/work/shared/spec/lecture4.md``): ``N`` samples, ``D`` features,
``K`` classes; ``X`` is (N, D), ``labels`` is (N,) int, ``W`` is (K, D), ``b`` is (K,) and
``scores = X @ W.T + b`` is (N, K). Every kernel is pure: it never writes into its
arguments and returns new arrays. Float32 inputs give float32 arrays back.
"""

from __future__ import annotations

import numpy as np

FUNCTIONS = (
    "softmax",
    "quality",
    "cross_entropy",
    "cross_entropy_grad",
    "sgd_step",
    "lr_schedule",
    "train_sgd",
)


def softmax(scores: np.ndarray) -> np.ndarray:
    """Return the row-wise softmax of ``scores`` (N, K) as probabilities (N, K).

    Subtracting each row's maximum first leaves the result unchanged but keeps ``exp``
    in [0, 1], so scores of magnitude 1e4 and beyond neither overflow nor give nan.
    """
    shifted = scores - scores.max(axis=1, keepdims=True)
    exps = np.exp(shifted)
    return exps / exps.sum(axis=1, keepdims=True)


def quality(probs: np.ndarray, labels: np.ndarray) -> float:
    """Return Q_mean, the geometric mean of the correct-class probabilities.

    ``probs`` (N, K) in [0, 1], ``labels`` (N,) int in [0, K). Computed as
    ``exp(mean(log p_correct))``: the plain product underflows to 0 for N in the
    thousands. A zero probability gives log 0 = -inf and so exactly 0.0, the true value.
    """
    correct = probs[np.arange(len(labels)), labels]
    with np.errstate(divide="ignore"):  # log(0) = -inf is wanted, not a warning
        log_correct = np.log(correct)
    return float(np.exp(log_correct.mean()))


def cross_entropy(scores: np.ndarray, labels: np.ndarray) -> float:
    """Return the mean over samples of -log softmax(scores)[i, labels[i]], a float.

    ``scores`` (N, K), ``labels`` (N,) int. Uses log-sum-exp on max-shifted rows, so the
    loss is finite for any finite scores (the value of ``torch.nn.CrossEntropyLoss()``).
    """
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_sum_exp = np.log(np.exp(shifted).sum(axis=1))
    correct = shifted[np.arange(len(labels)), labels]
    return float((log_sum_exp - correct).mean())


def cross_entropy_grad(
    W: np.ndarray, b: np.ndarray, X: np.ndarray, labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return (dW, db), the gradient of ``cross_entropy(X @ W.T + b, labels)``.

    ``W`` (K, D), ``b`` (K,), ``X`` (N, D), ``labels`` (N,) int. With P the softmax
    probabilities and Y the one-hot labels, both (N, K): dW = (P - Y)^T X / N, shape
    (K, D), and db = sum over rows of (P - Y) / N, shape (K,).
    """
    n = X.shape[0]
    probs = softmax(X @ W.T + b)
    onehot = np.zeros_like(probs)
    onehot[np.arange(n), labels] = 1
    dscores = (probs - onehot) / n
    return dscores.T @ X, dscores.sum(axis=0)


def sgd_step(
    W: np.ndarray, b: np.ndarray, dW: np.ndarray, db: np.ndarray, lr: float
) -> tuple[np.ndarray, np.ndarray]:
    """Return (W - lr * dW, b - lr * db) as new arrays, shapes (K, D) and (K,)."""
    return W - lr * dW, b - lr * db


def lr_schedule(t: int, lr0: float = 2.5, decay: float = 0.5, every: int = 10) -> float:
    """Return the learning rate at 0-based iteration ``t``: lr0 * decay ** (t // every).

    The lecture's step schedule: start at 2.5 and halve every 10 iterations.
    """
    if t < 0 or every < 1:
        raise ValueError(f"need t >= 0 and every >= 1, got t={t}, every={every}")
    return float(lr0 * decay ** (t // every))


def train_sgd(
    X: np.ndarray,
    labels: np.ndarray,
    num_classes: int,
    lr: float = 0.1,
    batch_size: int = 200,
    num_iters: int = 200,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """Train a softmax classifier by mini-batch SGD from W = 0, b = 0.

    ``X`` (N, D), ``labels`` (N,) int in [0, num_classes). Each iteration draws
    ``batch_size`` distinct indices with ``np.random.default_rng(seed)``, records the
    batch cross-entropy before the step, then takes one ``sgd_step`` with constant ``lr``.
    Returns W (K, D), b (K,) in X's float dtype and ``losses``, num_iters Python floats.
    """
    n, d = X.shape
    if not 1 <= batch_size <= n:
        raise ValueError(f"batch_size must be in [1, {n}], got {batch_size}")
    dtype = X.dtype if np.issubdtype(X.dtype, np.floating) else np.float64
    W = np.zeros((num_classes, d), dtype=dtype)
    b = np.zeros(num_classes, dtype=dtype)
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(num_iters):
        idx = rng.choice(n, size=batch_size, replace=False)
        X_batch, labels_batch = X[idx], labels[idx]
        losses.append(cross_entropy(X_batch @ W.T + b, labels_batch))
        dW, db = cross_entropy_grad(W, b, X_batch, labels_batch)
        W, b = sgd_step(W, b, dW, db, lr)
    return W, b, losses
