"""Seeded input generators for the lecture4 battery: plain NumPy arrays and numbers.

Every generator is deterministic in its arguments and cached, so a worker builds each
input once. Arrays are shared between calls: callers must not write into them.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import numpy as np

from reference.kernels_numpy import softmax


def as_float64(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs with float arrays in float64: the reference then computes the exact value."""
    return {
        k: v.astype(np.float64) if isinstance(v, np.ndarray) and v.dtype.kind == "f" else v
        for k, v in inputs.items()
    }


@cache
def scores(n: int, k: int, magnitude: float, seed: int, dtype: str = "float64") -> np.ndarray:
    """Scores (n, k) uniform in [-magnitude, magnitude], each row reaching its magnitude.

    One entry per row is pinned at +magnitude so that exp overflows (or underflows)
    without the max-subtraction for magnitudes above about 710 (float64). Below that (700),
    exp stays finite while entries more than about 745 under the row's maximum still have
    probability 0.0 after a stable softmax.
    """
    rng = np.random.default_rng(seed)
    out = rng.uniform(-magnitude, magnitude, size=(n, k))
    out[np.arange(n), rng.integers(0, k, size=n)] = magnitude
    return out.astype(dtype)


@cache
def mixed_scores(n: int, k: int, seed: int) -> np.ndarray:
    """Scores (n, k) whose rows have magnitudes from 1e-3 to 1e4 in one batch."""
    rng = np.random.default_rng(seed)
    magnitudes = np.logspace(-3, 4, n)[:, None]
    return rng.uniform(-1, 1, size=(n, k)) * magnitudes + magnitudes


@cache
def labels(n: int, k: int, seed: int) -> np.ndarray:
    """Labels (n,) int64 in [0, k), every class present when n >= k."""
    rng = np.random.default_rng(seed + 1000)
    out = rng.integers(0, k, size=n)
    out[: min(n, k)] = np.arange(min(n, k))
    return rng.permutation(out).astype(np.int64)


@cache
def probs(n: int, k: int, seed: int, dtype: str = "float64") -> np.ndarray:
    """Probabilities (n, k), rows summing to 1, none below about 1e-3."""
    return softmax(scores(n, k, 2.0, seed)).astype(dtype)


def lecture_probs() -> tuple[np.ndarray, np.ndarray]:
    """The lecture's five samples: correct-class probabilities 0.80, 0.95, 0.90, 0.70, 0.80.

    Returns probs (5, 3) and labels (5,); the rest of each row is split evenly.
    """
    correct = np.array([0.80, 0.95, 0.90, 0.70, 0.80])
    labels_ = np.array([0, 2, 1, 1, 2], dtype=np.int64)
    out = np.repeat(((1 - correct) / 2)[:, None], 3, axis=1)
    out[np.arange(5), labels_] = correct
    return out, labels_


@cache
def params(k: int, d: int, scale: float, seed: int, dtype: str = "float64") -> tuple:
    """Weights W (k, d) and bias b (k,), normal with standard deviation ``scale``."""
    rng = np.random.default_rng(seed + 2000)
    W = rng.normal(0, scale, size=(k, d)).astype(dtype)
    b = rng.normal(0, scale, size=k).astype(dtype)
    return W, b


@cache
def features(n: int, d: int, seed: int, dtype: str = "float64") -> np.ndarray:
    """Features X (n, d), standard normal."""
    return np.random.default_rng(seed + 3000).normal(size=(n, d)).astype(dtype)


@cache
def blobs(n: int, d: int, k: int, seed: int, dtype: str = "float64") -> tuple:
    """A learnable problem: X (n, d) around k class centres, labels (n,) int64.

    The classes overlap a little, so the loss falls steadily but not to zero.
    """
    rng = np.random.default_rng(seed + 4000)
    centres = rng.normal(0, 1.5, size=(k, d))
    labels_ = labels(n, k, seed)
    X = centres[labels_] + rng.normal(size=(n, d))
    return X.astype(dtype), labels_
