"""The NumPy reference kernels against naive formulas, stability limits and purity."""

from __future__ import annotations

import math

import numpy as np
import pytest

from reference import kernels_numpy as kn

N, D, K = 6, 4, 3


def small_problem(seed: int = 0) -> dict[str, np.ndarray]:
    """Return a small float64 problem: W (K, D), b (K,), X (N, D), labels (N,), scores (N, K)."""
    rng = np.random.default_rng(seed)
    W, b, X = rng.normal(size=(K, D)), rng.normal(size=K), rng.normal(size=(N, D))
    labels = rng.integers(0, K, size=N)
    return {"W": W, "b": b, "X": X, "labels": labels, "scores": X @ W.T + b}


def naive_softmax(scores: np.ndarray) -> np.ndarray:
    """Textbook softmax without the max shift; only for small scores."""
    return np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)


def test_exports_the_seven_spec_functions_in_order() -> None:
    assert kn.FUNCTIONS == (
        "softmax",
        "quality",
        "cross_entropy",
        "cross_entropy_grad",
        "sgd_step",
        "lr_schedule",
        "train_sgd",
    )
    assert all(callable(getattr(kn, name)) for name in kn.FUNCTIONS)


def test_softmax_matches_textbook_formula_on_small_scores() -> None:
    scores = small_problem()["scores"]
    np.testing.assert_allclose(kn.softmax(scores), naive_softmax(scores), rtol=1e-14)


@pytest.mark.parametrize("magnitude", [1e3, 1e4, 1e6])
def test_softmax_stays_finite_and_normalised_for_huge_scores(magnitude: float) -> None:
    scores = np.array([[1.0, -1.0, 0.5], [-1.0, -1.0, -1.0]]) * magnitude
    probs = kn.softmax(scores)
    assert np.isfinite(probs).all()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_allclose(probs[1], 1 / 3, rtol=1e-15)


def test_softmax_keeps_float32() -> None:
    assert kn.softmax(small_problem()["scores"].astype(np.float32)).dtype == np.float32


def test_quality_matches_geometric_mean_on_small_input() -> None:
    rng = np.random.default_rng(1)
    probs = naive_softmax(rng.normal(size=(N, K)))
    labels = rng.integers(0, K, size=N)
    expected = np.prod(probs[np.arange(N), labels]) ** (1 / N)
    assert isinstance(kn.quality(probs, labels), float)
    assert kn.quality(probs, labels) == pytest.approx(expected, rel=1e-13)


def test_quality_reproduces_the_lecture_example() -> None:
    correct = [0.80, 0.95, 0.90, 0.70, 0.80]
    probs = np.array([[p, 1 - p] for p in correct])
    assert round(kn.quality(probs, np.zeros(5, dtype=np.int64)), 2) == 0.83


def test_quality_does_not_underflow_for_fifty_thousand_samples() -> None:
    rng = np.random.default_rng(2)
    p_correct = rng.uniform(0.05, 0.5, size=50_000)
    probs = np.stack([p_correct, 1 - p_correct], axis=1)
    labels = np.zeros(50_000, dtype=np.int64)
    assert np.prod(p_correct) == 0.0  # the naive product really does underflow here
    q = kn.quality(probs, labels)
    assert q > 0
    assert q == pytest.approx(math.exp(np.log(p_correct).mean()), rel=1e-12)


def test_quality_is_zero_without_warning_when_a_correct_class_has_probability_zero() -> None:
    probs = np.array([[0.0, 1.0], [0.5, 0.5]])
    assert kn.quality(probs, np.array([0, 1])) == 0.0  # filterwarnings=error catches warnings


def test_cross_entropy_matches_textbook_formula_on_small_scores() -> None:
    problem = small_problem()
    scores, labels = problem["scores"], problem["labels"]
    expected = -np.log(naive_softmax(scores)[np.arange(N), labels]).mean()
    assert isinstance(kn.cross_entropy(scores, labels), float)
    assert kn.cross_entropy(scores, labels) == pytest.approx(expected, rel=1e-13)


def test_cross_entropy_is_finite_and_exact_for_scores_of_magnitude_1e4() -> None:
    scores = np.array([[1e4, 0.0], [0.0, 1e4]])
    # Row 0 is right with certainty (loss 0); row 1 is wrong by 1e4 (loss 1e4).
    assert kn.cross_entropy(scores, np.array([0, 0])) == pytest.approx(5e3, rel=1e-15)


def test_cross_entropy_grad_matches_per_sample_sum() -> None:
    problem = small_problem()
    W, b, X, labels = (problem[key] for key in ("W", "b", "X", "labels"))
    probs = naive_softmax(problem["scores"])
    dW_expected, db_expected = np.zeros((K, D)), np.zeros(K)
    for i in range(N):
        for k in range(K):
            residual = (probs[i, k] - (labels[i] == k)) / N
            dW_expected[k] += residual * X[i]
            db_expected[k] += residual
    dW, db = kn.cross_entropy_grad(W, b, X, labels)
    assert dW.shape == (K, D) and db.shape == (K,)
    np.testing.assert_allclose(dW, dW_expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(db, db_expected, rtol=1e-12, atol=1e-15)


def test_sgd_step_returns_new_arrays_moved_against_the_gradient() -> None:
    problem = small_problem()
    W, b = problem["W"], problem["b"]
    dW, db = np.ones_like(W), np.full_like(b, 2.0)
    W_new, b_new = kn.sgd_step(W, b, dW, db, 0.5)
    np.testing.assert_array_equal(W_new, W - 0.5)
    np.testing.assert_array_equal(b_new, b - 1.0)
    assert not np.shares_memory(W_new, W) and not np.shares_memory(b_new, b)


@pytest.mark.parametrize(
    ("t", "expected"), [(0, 2.5), (5, 2.5), (9, 2.5), (10, 1.25), (19, 1.25), (20, 0.625)]
)
def test_lr_schedule_halves_every_ten_iterations_from_2_5(t: int, expected: float) -> None:
    assert kn.lr_schedule(t) == expected
    assert isinstance(kn.lr_schedule(t), float)


def test_lr_schedule_honours_its_keyword_arguments() -> None:
    assert kn.lr_schedule(7, lr0=1.0, decay=0.1, every=3) == pytest.approx(0.01)


def test_lr_schedule_rejects_negative_iteration() -> None:
    with pytest.raises(ValueError, match="t >= 0"):
        kn.lr_schedule(-1)


def test_kernels_keep_float32_through_training() -> None:
    problem = small_problem()
    X = problem["X"].astype(np.float32)
    W, b, losses = kn.train_sgd(X, problem["labels"], K, batch_size=3, num_iters=4)
    assert W.dtype == np.float32 and b.dtype == np.float32
    assert all(type(loss) is float for loss in losses)


def kernel_calls() -> list[tuple[str, tuple]]:
    """Return (name, args) for one call of every kernel on a small problem."""
    p = small_problem()
    probs = naive_softmax(p["scores"])
    return [
        ("softmax", (p["scores"],)),
        ("quality", (probs, p["labels"])),
        ("cross_entropy", (p["scores"], p["labels"])),
        ("cross_entropy_grad", (p["W"], p["b"], p["X"], p["labels"])),
        ("sgd_step", (p["W"], p["b"], np.ones_like(p["W"]), np.ones_like(p["b"]), 0.1)),
        ("train_sgd", (p["X"], p["labels"], K, 0.1, 3, 2)),
    ]


@pytest.mark.parametrize(
    ("name", "args"), kernel_calls(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_kernel_does_not_modify_its_arguments(name: str, args: tuple) -> None:
    before = [arg.copy() if isinstance(arg, np.ndarray) else arg for arg in args]
    getattr(kn, name)(*args)
    for arg, original in zip(args, before, strict=True):
        np.testing.assert_array_equal(arg, original)


def separable_blobs(n_per_class: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Return X (3 * n_per_class, 2) of three well-separated blobs and their labels."""
    rng = np.random.default_rng(3)
    centres = np.array([[4.0, 0.0], [-4.0, 0.0], [0.0, 4.0]])
    X = np.concatenate([c + 0.3 * rng.normal(size=(n_per_class, 2)) for c in centres])
    return X, np.repeat(np.arange(3), n_per_class)


def test_train_sgd_with_full_batch_reproduces_gradient_descent() -> None:
    X, labels = separable_blobs()
    W, b, losses = kn.train_sgd(X, labels, 3, lr=0.5, batch_size=len(X), num_iters=15)
    W_gd, b_gd, losses_gd = np.zeros((3, 2)), np.zeros(3), []
    for _ in range(15):
        losses_gd.append(kn.cross_entropy(X @ W_gd.T + b_gd, labels))
        dW, db = kn.cross_entropy_grad(W_gd, b_gd, X, labels)
        W_gd, b_gd = kn.sgd_step(W_gd, b_gd, dW, db, 0.5)
    # A full batch is the data in shuffled order: equal up to float64 summation order.
    np.testing.assert_allclose(W, W_gd, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(b, b_gd, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(losses, losses_gd, rtol=1e-12)


def test_train_sgd_losses_fall_on_a_separable_problem() -> None:
    X, labels = separable_blobs()
    W, b, losses = kn.train_sgd(X, labels, 3, lr=0.5, batch_size=10, num_iters=40)
    assert len(losses) == 40 and all(type(loss) is float for loss in losses)
    assert losses[0] == pytest.approx(math.log(3), rel=1e-15)  # W = 0, b = 0: uniform
    assert max(losses[-5:]) < 0.25 * losses[0]
    assert kn.cross_entropy(X @ W.T + b, labels) < 0.25 * math.log(3)


def test_train_sgd_is_reproducible_for_a_seed_and_varies_across_seeds() -> None:
    X, labels = separable_blobs()
    run = lambda seed: kn.train_sgd(X, labels, 3, batch_size=5, num_iters=5, seed=seed)[2]  # noqa: E731
    assert run(0) == run(0)
    assert run(0) != run(1)


@pytest.mark.parametrize("batch_size", [0, 61])
def test_train_sgd_rejects_batch_size_outside_one_to_n(batch_size: int) -> None:
    X, labels = separable_blobs()
    with pytest.raises(ValueError, match="batch_size"):
        kn.train_sgd(X, labels, 3, batch_size=batch_size, num_iters=1)
