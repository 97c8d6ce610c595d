"""Torch reference kernels for the lecture4 pack, written by hand like a student must.

Same contract as ``reference.kernels_numpy`` (shapes ``X`` (N, D), ``labels`` (N,) int64,
``W`` (K, D), ``b`` (K,), ``scores = X @ W.T + b`` (N, K)), for tensors of any float
dtype on any device: results stay on the input's device and keep its dtype. None of the
calls the spec forbids in the torch variant are used here (no ``torch.softmax``,
``logsumexp``, ``nn.CrossEntropyLoss``, ``autograd`` or ``optim``). Kernels never write
into their arguments.
"""

from __future__ import annotations

import torch

# Framework-free, so both modules share one definition (the explicit alias re-exports it).
from reference.kernels_numpy import lr_schedule as lr_schedule

FUNCTIONS = (
    "softmax",
    "quality",
    "cross_entropy",
    "cross_entropy_grad",
    "sgd_step",
    "lr_schedule",
    "train_sgd",
)


def _shift_by_row_max(scores: torch.Tensor) -> torch.Tensor:
    """Return ``scores`` (N, K) minus each row's maximum, so every entry is <= 0.

    The maximum is detached: softmax and cross-entropy do not change under a constant
    shift of a row, so treating it as a constant gives autograd the exact gradient.
    """
    return scores - scores.detach().amax(dim=1, keepdim=True)


def softmax(scores: torch.Tensor) -> torch.Tensor:
    """Return the row-wise softmax of ``scores`` (N, K) as probabilities (N, K).

    Max-shifted so ``exp`` stays in [0, 1]: no overflow or nan at magnitudes of 1e4.
    """
    exps = torch.exp(_shift_by_row_max(scores))
    return exps / exps.sum(dim=1, keepdim=True)


def quality(probs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Return Q_mean, the geometric mean of the correct-class probabilities, 0-dim.

    ``probs`` (N, K), ``labels`` (N,) int64. Computed as ``exp(mean(log p_correct))``
    because the plain product underflows for large N; a zero probability gives 0.0.
    """
    correct = probs.gather(1, labels.unsqueeze(1)).squeeze(1)
    return torch.exp(torch.log(correct).mean())


def cross_entropy(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Return the mean of -log softmax(scores)[i, labels[i]] as a 0-dim tensor.

    ``scores`` (N, K), ``labels`` (N,) int64. Log-sum-exp over max-shifted rows keeps it
    finite for any finite scores; built only from differentiable ops, so ``backward()``
    gives d loss / d scores = (softmax(scores) - onehot(labels)) / N.
    """
    shifted = _shift_by_row_max(scores)
    log_sum_exp = torch.log(torch.exp(shifted).sum(dim=1))
    correct = shifted.gather(1, labels.unsqueeze(1)).squeeze(1)
    return (log_sum_exp - correct).mean()


def cross_entropy_grad(
    W: torch.Tensor, b: torch.Tensor, X: torch.Tensor, labels: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (dW, db), the gradient of ``cross_entropy(X @ W.T + b, labels)``.

    ``W`` (K, D), ``b`` (K,), ``X`` (N, D), ``labels`` (N,) int64. With P the softmax
    probabilities and Y the one-hot labels, both (N, K): dW = (P - Y)^T X / N, shape
    (K, D), and db = sum over rows of (P - Y) / N, shape (K,).
    """
    probs = softmax(X @ W.T + b)
    onehot = torch.zeros_like(probs).scatter(1, labels.unsqueeze(1), 1.0)
    dscores = (probs - onehot) / X.shape[0]
    return dscores.T @ X, dscores.sum(dim=0)


def sgd_step(
    W: torch.Tensor, b: torch.Tensor, dW: torch.Tensor, db: torch.Tensor, lr: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (W - lr * dW, b - lr * db) as new tensors, shapes (K, D) and (K,)."""
    return W - lr * dW, b - lr * db


def train_sgd(
    X: torch.Tensor,
    labels: torch.Tensor,
    num_classes: int,
    lr: float = 0.1,
    batch_size: int = 200,
    num_iters: int = 200,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor, list[float]]:
    """Train a softmax classifier by mini-batch SGD from W = 0, b = 0.

    ``X`` (N, D) float, ``labels`` (N,) int64 on the same device. Each iteration takes
    the first ``batch_size`` entries of a ``torch.randperm`` drawn from a CPU generator
    seeded with ``seed`` (so CPU and CUDA runs see the same batches), records the batch
    cross-entropy before the step, then takes one ``sgd_step`` with constant ``lr``.
    Returns W (K, D), b (K,) on X's device and dtype, and ``losses``, num_iters floats.
    """
    n, d = X.shape
    if not 1 <= batch_size <= n:
        raise ValueError(f"batch_size must be in [1, {n}], got {batch_size}")
    W = torch.zeros((num_classes, d), dtype=X.dtype, device=X.device)
    b = torch.zeros(num_classes, dtype=X.dtype, device=X.device)
    generator = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(num_iters):
        idx = torch.randperm(n, generator=generator)[:batch_size].to(X.device)
        X_batch, labels_batch = X[idx], labels[idx]
        losses.append(cross_entropy(X_batch @ W.T + b, labels_batch))
        dW, db = cross_entropy_grad(W, b, X_batch, labels_batch)
        W, b = sgd_step(W, b, dW, db, lr)
    # One device-to-host copy at the end rather than a sync per iteration on CUDA.
    return W, b, torch.stack(losses).tolist() if losses else []
