"""The seven functions students write: points, signatures and starter docstrings."""

from __future__ import annotations

from reference.pack import Forbidden, FunctionSpec, Runtime, SandboxLimits

# (name, points, signature, time limit in seconds). lr_schedule is trivial, so a short
# limit keeps a submission whose schedule loops forever from stalling grading.
_TABLE = (
    ("softmax", 10, "softmax(scores)", 5.0),
    ("quality", 10, "quality(probs, labels)", 5.0),
    ("cross_entropy", 20, "cross_entropy(scores, labels)", 5.0),
    ("cross_entropy_grad", 25, "cross_entropy_grad(W, b, X, labels)", 5.0),
    ("sgd_step", 10, "sgd_step(W, b, dW, db, lr)", 5.0),
    ("lr_schedule", 5, "lr_schedule(t, lr0=2.5, decay=0.5, every=10)", 2.0),
    (
        "train_sgd",
        20,
        "train_sgd(X, labels, num_classes, lr=0.1, batch_size=200, num_iters=200, seed=0)",
        10.0,
    ),
)

# One wall-clock budget per submission, every case and the composed regrade together: a
# correct file needs about a second; the sum of one timeout per function is 32 s, and a
# function that timed out is not called again, so 30 s leaves the rest time to run.
LIMITS = SandboxLimits(submission_s=30.0)

# The graded functions each one may build on (FunctionSpec.helpers): where a student's
# function calls one of these and it failed its own cases, the function's failed cases are
# graded again with the reference in its place, so a bug costs one function's points.
HELPERS: dict[str, tuple[str, ...]] = {
    "cross_entropy": ("softmax",),
    "cross_entropy_grad": ("softmax",),
    "train_sgd": ("softmax", "cross_entropy", "cross_entropy_grad", "sgd_step"),
}

_DOCS = {
    "softmax": "Return the row-wise softmax of scores (N, K) as probs (N, K).\n\n"
    "Every row sums to 1. Must not give nan or inf for scores as large as 1e4.",
    "quality": "Return Q_mean = (prod_i probs[i, labels[i]]) ** (1/N) as a float.\n\n"
    "probs (N, K), labels (N,) ints in [0, K). Must not underflow to 0 for N = 50,000.",
    "cross_entropy": "Return the mean over i of -log softmax(scores)[i, labels[i]].\n\n"
    "scores (N, K), labels (N,). Must not give nan or inf for large scores.",
    "cross_entropy_grad": "Return (dW, db), the gradient of cross_entropy(X @ W.T + b, labels).\n\n"
    "W (K, D), b (K,), X (N, D), labels (N,). dW = (P - Y)^T X / N has shape (K, D) and\n"
    "db = sum_i (p_i - y_i) / N has shape (K,), with P = softmax(scores), Y one-hot labels.",
    "sgd_step": "Return (W - lr * dW, b - lr * db) as new arrays; do not modify the arguments.",
    "lr_schedule": "Return the learning rate at 0-based iteration t: lr0 * decay ** (t // every).",
    "train_sgd": "Train by mini-batch SGD from W = 0, b = 0; return (W, b, losses).\n\n"
    "Each iteration draws batch_size distinct indices at random (seeded with seed), records\n"
    "the batch cross-entropy before the step in losses, and takes one sgd_step with lr.\n"
    "len(losses) == num_iters.",
}

_TORCH_NOTE = {
    "softmax": "Tensors in, a tensor out, on the input's device and of its dtype.",
    "quality": "A float or a 0-dim tensor.",
    "cross_entropy": "A 0-dim tensor that backward() can differentiate.",
    "cross_entropy_grad": "Written by hand: no autograd.",
    "sgd_step": "Written by hand: no torch.optim.",
    "lr_schedule": "A Python float.",
    "train_sgd": "Use a torch.Generator seeded with seed; W and b on X's device and dtype.",
}


def function_specs(runtime: Runtime) -> tuple[FunctionSpec, ...]:
    """The seven FunctionSpecs, with torch notes appended to the docstrings for 'torch'."""
    specs = []
    for name, points, signature, limit in _TABLE:
        doc = _DOCS[name]
        if runtime == "torch":
            doc = f"{doc}\n\n{_TORCH_NOTE[name]}"
        helpers = HELPERS.get(name, ())
        specs.append(FunctionSpec(name, float(points), signature, doc, limit, helpers))
    return tuple(specs)


NUMPY_FORBIDDEN = Forbidden(
    modules=("torch", "tensorflow", "jax", "sklearn"),
    calls=("scipy.special.softmax", "scipy.special.logsumexp"),
    reason="lecture4-numpy asks you to write these with NumPy yourself",
    aliases=(
        ("scipy.special._logsumexp.softmax", "scipy.special.softmax"),
        ("scipy.special._logsumexp.logsumexp", "scipy.special.logsumexp"),
    ),
)


def _aliases(entry: str, *paths: str) -> tuple[tuple[str, str], ...]:
    return tuple((path, entry) for path in paths)


# Private, C-level and operator-registry spellings of the torch entries below: the same
# operations under other names (SECURITY.md, "What the forbidden-call rule guarantees").
_VF = "torch._C._VariableFunctions"
_NN = "torch._C._nn"
_SPECIAL = "torch._C._special"
_ATEN = "torch.ops.aten"
_FUNC_GRADIENTS = ("grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian")
TORCH_ALIASES = (
    *_aliases(
        "torch.softmax",
        *("torch._softmax", "torch._safe_softmax", "torch._masked_softmax"),
        *("torch._softmax_backward_data", f"{_VF}.softmax", f"{_VF}._softmax"),
        *(f"{_VF}._safe_softmax", f"{_VF}._masked_softmax", f"{_VF}._softmax_backward_data"),
        *(f"{_ATEN}.softmax", f"{_ATEN}._softmax", f"{_ATEN}._safe_softmax"),
        *(f"{_ATEN}._masked_softmax", f"{_ATEN}._softmax_backward_data"),
        *(f"{_ATEN}.special_softmax", f"{_ATEN}._sparse_softmax"),
    ),
    *_aliases("torch.special.softmax", f"{_SPECIAL}.special_softmax"),
    *_aliases(
        "torch.log_softmax",
        *("torch._log_softmax", "torch._log_softmax_backward_data", f"{_VF}.log_softmax"),
        *(f"{_VF}._log_softmax", f"{_VF}._log_softmax_backward_data"),
        *(f"{_ATEN}.log_softmax", f"{_ATEN}._log_softmax", f"{_ATEN}._log_softmax_backward_data"),
        *(f"{_ATEN}.special_log_softmax", f"{_ATEN}._sparse_log_softmax"),
    ),
    *_aliases("torch.special.log_softmax", f"{_SPECIAL}.special_log_softmax"),
    *_aliases(
        "torch.logsumexp",
        *("torch.special.logsumexp", f"{_SPECIAL}.special_logsumexp", f"{_VF}.logsumexp"),
        *(f"{_ATEN}.logsumexp", f"{_ATEN}.special_logsumexp"),
    ),
    *_aliases(
        "torch.nn.functional.cross_entropy",
        *(f"{_NN}.cross_entropy_loss", f"{_ATEN}.cross_entropy_loss"),
    ),
    *_aliases(
        "torch.nn.functional.nll_loss",
        *(f"{_NN}.nll_loss", f"{_NN}.nll_loss_nd", f"{_NN}.nll_loss2d"),
        *(f"{_ATEN}.nll_loss", f"{_ATEN}.nll_loss_nd", f"{_ATEN}.nll_loss2d"),
        *(f"{_ATEN}.nll_loss_forward", f"{_ATEN}.nll_loss_backward"),
    ),
    *_aliases(  # gradients by another road (torch.func's transforms; vmap stays allowed)
        "torch.autograd",
        *("torch._C._autograd", "torch._C._EngineBase", "torch._C._functions"),
        *(f"torch.func.{name}" for name in _FUNC_GRADIENTS),
        *(f"torch._functorch.eager_transforms.{name}" for name in _FUNC_GRADIENTS),
    ),
)

TORCH_FORBIDDEN = Forbidden(
    modules=("torch.autograd", "torch.optim"),
    calls=(
        "torch.nn.functional.cross_entropy",
        "torch.nn.functional.nll_loss",
        "torch.nn.functional.log_softmax",
        "torch.nn.functional.softmax",
        "torch.softmax",
        "torch.log_softmax",
        "torch.logsumexp",
        "torch.special.softmax",
        "torch.special.log_softmax",
        "torch.nn.CrossEntropyLoss",
        "torch.nn.NLLLoss",
        "torch.nn.Softmax",
        "torch.nn.LogSoftmax",
    ),
    methods=("softmax", "log_softmax", "backward"),
    reason="lecture4-torch asks you to write these by hand (gradients and SGD too)",
    aliases=TORCH_ALIASES,
)
