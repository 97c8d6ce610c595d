"""The Torch reference kernels: naive formulas, autograd, dtype, device and purity."""

from __future__ import annotations

import math

import pytest
import torch

from reference import kernels_torch as kt

N, D, K = 6, 4, 3


def small_problem(dtype: torch.dtype = torch.float64, device: str = "cpu") -> dict:
    """Return a small problem: W (K, D), b (K,), X (N, D), labels (N,) int64, scores (N, K)."""
    g = torch.Generator().manual_seed(0)
    W, b, X = (torch.randn(shape, generator=g, dtype=dtype) for shape in ((K, D), (K,), (N, D)))
    labels = torch.randint(0, K, (N,), generator=g)
    problem = {"W": W, "b": b, "X": X, "labels": labels, "scores": X @ W.T + b}
    return {key: value.to(device) for key, value in problem.items()}


def naive_softmax(scores: torch.Tensor) -> torch.Tensor:
    """Textbook softmax without the max shift; only for small scores."""
    return torch.exp(scores) / torch.exp(scores).sum(dim=1, keepdim=True)


def test_exports_the_same_functions_as_the_numpy_kernels() -> None:
    from reference import kernels_numpy

    assert kt.FUNCTIONS == kernels_numpy.FUNCTIONS
    assert all(callable(getattr(kt, name)) for name in kt.FUNCTIONS)


def test_softmax_matches_textbook_formula_on_small_scores() -> None:
    scores = small_problem()["scores"]
    torch.testing.assert_close(kt.softmax(scores), naive_softmax(scores), rtol=1e-14, atol=0)


@pytest.mark.parametrize("magnitude", [1e3, 1e4, 1e6])
def test_softmax_stays_finite_for_huge_scores(magnitude: float) -> None:
    scores = torch.tensor([[1.0, -1.0, 0.5], [-1.0, -1.0, -1.0]], dtype=torch.float64)
    probs = kt.softmax(scores * magnitude)
    assert torch.isfinite(probs).all()
    torch.testing.assert_close(probs.sum(dim=1), torch.ones(2, dtype=torch.float64))


def test_quality_is_a_0_dim_geometric_mean() -> None:
    problem = small_problem()
    probs, labels = naive_softmax(problem["scores"]), problem["labels"]
    expected = probs[torch.arange(N), labels].prod() ** (1 / N)
    q = kt.quality(probs, labels)
    assert q.dim() == 0
    torch.testing.assert_close(q, expected, rtol=1e-13, atol=0)


def test_quality_does_not_underflow_for_fifty_thousand_samples() -> None:
    g = torch.Generator().manual_seed(2)
    p_correct = 0.05 + 0.45 * torch.rand(50_000, generator=g, dtype=torch.float64)
    probs = torch.stack([p_correct, 1 - p_correct], dim=1)
    labels = torch.zeros(50_000, dtype=torch.int64)
    assert p_correct.prod() == 0.0  # the naive product really does underflow here
    q = kt.quality(probs, labels)
    assert q > 0
    assert q.item() == pytest.approx(math.exp(p_correct.log().mean().item()), rel=1e-12)


def test_quality_is_zero_when_a_correct_class_has_probability_zero() -> None:
    probs = torch.tensor([[0.0, 1.0], [0.5, 0.5]])
    assert kt.quality(probs, torch.tensor([0, 1])).item() == 0.0


def test_cross_entropy_is_a_0_dim_textbook_value_on_small_scores() -> None:
    problem = small_problem()
    scores, labels = problem["scores"], problem["labels"]
    expected = -naive_softmax(scores)[torch.arange(N), labels].log().mean()
    loss = kt.cross_entropy(scores, labels)
    assert loss.dim() == 0
    torch.testing.assert_close(loss, expected, rtol=1e-13, atol=0)


@pytest.mark.parametrize("magnitude", [1.0, 1e3, 1e4])
def test_cross_entropy_autograd_gradient_is_softmax_minus_onehot_over_n(magnitude: float) -> None:
    problem = small_problem()
    scores = (problem["scores"] * magnitude).requires_grad_()
    kt.cross_entropy(scores, problem["labels"]).backward()
    onehot = torch.eye(K, dtype=torch.float64)[problem["labels"]]
    expected = (naive_softmax(scores.detach() - scores.detach().amax(1, keepdim=True)) - onehot) / N
    torch.testing.assert_close(scores.grad, expected, rtol=1e-12, atol=1e-15)


def test_cross_entropy_grad_matches_per_sample_sum() -> None:
    problem = small_problem()
    W, b, X, labels = (problem[key] for key in ("W", "b", "X", "labels"))
    probs = naive_softmax(problem["scores"])
    dW_expected = torch.zeros(K, D, dtype=torch.float64)
    db_expected = torch.zeros(K, dtype=torch.float64)
    for i in range(N):
        for k in range(K):
            residual = (probs[i, k] - float(labels[i] == k)) / N
            dW_expected[k] += residual * X[i]
            db_expected[k] += residual
    dW, db = kt.cross_entropy_grad(W, b, X, labels)
    torch.testing.assert_close(dW, dW_expected, rtol=1e-12, atol=1e-15)
    torch.testing.assert_close(db, db_expected, rtol=1e-12, atol=1e-15)


def test_sgd_step_returns_new_tensors_moved_against_the_gradient() -> None:
    problem = small_problem()
    W, b = problem["W"], problem["b"]
    W_new, b_new = kt.sgd_step(W, b, torch.ones_like(W), torch.full_like(b, 2.0), 0.5)
    torch.testing.assert_close(W_new, W - 0.5, rtol=0, atol=0)
    torch.testing.assert_close(b_new, b - 1.0, rtol=0, atol=0)
    assert W_new.data_ptr() != W.data_ptr() and b_new.data_ptr() != b.data_ptr()


def test_lr_schedule_returns_a_python_float() -> None:
    assert kt.lr_schedule(10) == 1.25 and type(kt.lr_schedule(10)) is float


def kernel_calls(problem: dict) -> dict[str, tuple]:
    """Return name -> args for one call of every tensor-returning kernel on ``problem``."""
    p = problem
    probs = kt.softmax(p["scores"])
    ones_W, ones_b = torch.ones_like(p["W"]), torch.ones_like(p["b"])
    return {
        "softmax": (p["scores"],),
        "quality": (probs, p["labels"]),
        "cross_entropy": (p["scores"], p["labels"]),
        "cross_entropy_grad": (p["W"], p["b"], p["X"], p["labels"]),
        "sgd_step": (p["W"], p["b"], ones_W, ones_b, 0.1),
        "train_sgd": (p["X"], p["labels"], K, 0.1, 3, 2),
    }


def tensors_in(result: object) -> list[torch.Tensor]:
    """Return the tensors in a kernel's result (a tensor or a tuple holding some)."""
    items = result if isinstance(result, tuple) else (result,)
    return [item for item in items if isinstance(item, torch.Tensor)]


DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16], ids=str)
@pytest.mark.parametrize("name", kernel_calls(small_problem()))
def test_kernel_keeps_dtype_and_device(name: str, dtype: torch.dtype, device: str) -> None:
    args = kernel_calls(small_problem(dtype, device))[name]
    outputs = tensors_in(getattr(kt, name)(*args))
    assert outputs
    for output in outputs:
        assert output.dtype == dtype
        assert output.device.type == device


@pytest.mark.parametrize("name", kernel_calls(small_problem()))
def test_kernel_does_not_modify_its_arguments(name: str) -> None:
    args = kernel_calls(small_problem())[name]
    before = [arg.clone() if isinstance(arg, torch.Tensor) else arg for arg in args]
    getattr(kt, name)(*args)
    for arg, original in zip(args, before, strict=True):
        if isinstance(arg, torch.Tensor):
            assert torch.equal(arg, original)


def separable_blobs(device: str = "cpu", n_per_class: int = 20) -> tuple[torch.Tensor, ...]:
    """Return X (3 * n_per_class, 2) float64 of three well-separated blobs and their labels."""
    g = torch.Generator().manual_seed(3)
    centres = torch.tensor([[4.0, 0.0], [-4.0, 0.0], [0.0, 4.0]], dtype=torch.float64)
    noise = 0.3 * torch.randn(3, n_per_class, 2, generator=g, dtype=torch.float64)
    X = (centres[:, None, :] + noise).reshape(-1, 2)
    return X.to(device), torch.arange(3).repeat_interleave(n_per_class).to(device)


@pytest.mark.parametrize("device", DEVICES)
def test_train_sgd_with_full_batch_reproduces_gradient_descent(device: str) -> None:
    X, labels = separable_blobs(device)
    W, b, losses = kt.train_sgd(X, labels, 3, lr=0.5, batch_size=len(X), num_iters=15)
    W_gd = torch.zeros(3, 2, dtype=X.dtype, device=device)
    b_gd = torch.zeros(3, dtype=X.dtype, device=device)
    losses_gd = []
    for _ in range(15):
        losses_gd.append(kt.cross_entropy(X @ W_gd.T + b_gd, labels).item())
        dW, db = kt.cross_entropy_grad(W_gd, b_gd, X, labels)
        W_gd, b_gd = kt.sgd_step(W_gd, b_gd, dW, db, 0.5)
    # A full batch is the data in shuffled order: equal up to float64 summation order.
    torch.testing.assert_close(W, W_gd, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(b, b_gd, rtol=1e-12, atol=1e-14)
    assert losses == pytest.approx(losses_gd, rel=1e-12)


@pytest.mark.parametrize("device", DEVICES)
def test_train_sgd_losses_fall_on_a_separable_problem(device: str) -> None:
    X, labels = separable_blobs(device)
    W, b, losses = kt.train_sgd(X, labels, 3, lr=0.5, batch_size=10, num_iters=40)
    assert len(losses) == 40 and all(type(loss) is float for loss in losses)
    assert losses[0] == pytest.approx(math.log(3), rel=1e-15)  # W = 0, b = 0: uniform
    assert max(losses[-5:]) < 0.25 * losses[0]
    assert kt.cross_entropy(X @ W.T + b, labels).item() < 0.25 * math.log(3)


@pytest.mark.gpu
def test_train_sgd_draws_the_same_batches_on_cuda_as_on_cpu() -> None:
    X, labels = separable_blobs()
    _, _, losses_cpu = kt.train_sgd(X, labels, 3, batch_size=7, num_iters=10, seed=4)
    _, _, losses_cuda = kt.train_sgd(X.cuda(), labels.cuda(), 3, batch_size=7, num_iters=10, seed=4)
    assert losses_cuda == pytest.approx(losses_cpu, rel=1e-10)


def test_train_sgd_is_reproducible_for_a_seed_and_varies_across_seeds() -> None:
    X, labels = separable_blobs()
    run = lambda seed: kt.train_sgd(X, labels, 3, batch_size=5, num_iters=5, seed=seed)[2]  # noqa: E731
    assert run(0) == run(0)
    assert run(0) != run(1)


@pytest.mark.parametrize("batch_size", [0, 61])
def test_train_sgd_rejects_batch_size_outside_one_to_n(batch_size: int) -> None:
    X, labels = separable_blobs()
    with pytest.raises(ValueError, match="batch_size"):
        kt.train_sgd(X, labels, 3, batch_size=batch_size, num_iters=1)
