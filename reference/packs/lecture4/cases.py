"""The lecture4 battery: which inputs each function is tested on, shared by both packs.

A :class:`CaseDef` is runtime-free (plain NumPy inputs); ``numpy_pack`` and ``torch_pack``
turn it into a ``reference.pack.Case`` with the right check. Mostly one property per
case (overflow, many samples, float32, ...), so a failure points at one mistake.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from reference.pack import Visibility
from reference.packs.lecture4 import inputs as gen

Kind = Literal["value", "grad", "train_exact", "train_behaviour"]


@dataclass(frozen=True)
class CaseDef:
    """One case before it is bound to a runtime.

    ``kind``: 'value' compares the result with the reference's; 'grad' (torch only) also
    checks the autograd gradient wrt scores; 'train_exact' compares training with
    batch_size == N to full-batch gradient descent; 'train_behaviour' judges mini-batch
    training by its final loss and falling losses.
    """

    function: str
    title: str
    describe: str
    make: Callable[[], dict[str, Any]]
    visibility: Visibility = "visible"
    kind: Kind = "value"
    torch_only: bool = False

    @property
    def name(self) -> str:
        """The case name students see, e.g. 'softmax: scores of magnitude 1e4'."""
        return f"{self.function}: {self.title}"


def _scores_cases(fn: str, with_labels: bool) -> list[CaseDef]:
    """The shared battery of softmax and cross_entropy (same scores, labels if needed)."""

    def make(scores: Callable[[], Any], seed: int) -> Callable[[], dict[str, Any]]:
        def build() -> dict[str, Any]:
            s = scores()
            if not with_labels:
                return {"scores": s}
            return {"scores": s, "labels": gen.labels(s.shape[0], s.shape[1], seed)}

        return build

    def case(title: str, describe: str, scores: Callable, seed: int, vis: Visibility = "visible"):
        return CaseDef(fn, title, describe, make(scores, seed), vis)

    # cross_entropy only: exp(700) does not overflow, but correct-class probabilities of
    # 2 of the 6 rows underflow to 0, so an inf here is the log of an underflowed probability.
    underflow = [
        case("scores of magnitude 700", "N=6, K=4, scores in [-700, 700]",
             lambda: gen.scores(6, 4, 700.0, 10), 10),
    ] if with_labels else []  # fmt: skip
    return [
        case("random scores", "N=8, K=5, scores in [-3, 3]", lambda: gen.scores(8, 5, 3.0, 1), 1),
        case("scores of magnitude 1000", "N=6, K=4, scores in [-1000, 1000]",
             lambda: gen.scores(6, 4, 1e3, 2), 2),
        *underflow,
        case("scores of magnitude 1e4", "", lambda: gen.scores(6, 4, 1e4, 3), 3, "hidden"),
        case("rows of very different magnitude", "", lambda: gen.mixed_scores(8, 5, 4), 4,
             "hidden"),
        case("two classes (K = 2)", "N=7, K=2, scores in [-5, 5]",
             lambda: gen.scores(7, 2, 5.0, 5), 5),
        case("K = 1000 classes", "", lambda: gen.scores(4, 1000, 10.0, 6), 6, "hidden"),
        case("one sample (N = 1)", "N=1, K=6, scores in [-3, 3]",
             lambda: gen.scores(1, 6, 3.0, 7), 7),
        case("float32 scores", "", lambda: gen.scores(9, 4, 3.0, 8, "float32"), 8, "hidden"),
    ]  # fmt: skip


def _quality_cases() -> list[CaseDef]:
    """Q_mean on small batches, the lecture's example, and batches that underflow a product."""

    def make(n: int, k: int, seed: int, dtype: str = "float64") -> Callable[[], dict]:
        return lambda: {"probs": gen.probs(n, k, seed, dtype), "labels": gen.labels(n, k, seed)}

    def lecture() -> dict[str, Any]:
        probs, labels = gen.lecture_probs()
        return {"probs": probs, "labels": labels}

    return [
        CaseDef("quality", "random probs", "N=10, K=4", make(10, 4, 11)),
        CaseDef("quality", "the lecture's five samples",
                "correct-class probabilities 0.80, 0.95, 0.90, 0.70, 0.80 (K=3)", lecture),
        CaseDef("quality", "50,000 samples", "N=50,000, K=3", make(50_000, 3, 12)),
        CaseDef("quality", "2,000 samples in float32", "", make(2_000, 4, 13, "float32"),
                "hidden"),
        CaseDef("quality", "one sample (N = 1)", "N=1, K=4", make(1, 4, 14)),
        CaseDef("quality", "two classes (K = 2)", "", make(9, 2, 15), "hidden"),
    ]  # fmt: skip


def _grad_autograd_cases() -> list[CaseDef]:
    """Torch only: backward() through the student's cross_entropy must give the right grad."""

    def make(n: int, k: int, magnitude: float, seed: int, dtype: str = "float64"):
        return lambda: {
            "scores": gen.scores(n, k, magnitude, seed, dtype),
            "labels": gen.labels(n, k, seed),
        }

    return [
        CaseDef("cross_entropy", "gradient by autograd", "N=6, K=4, scores in [-3, 3]",
                make(6, 4, 3.0, 21), kind="grad", torch_only=True),
        CaseDef("cross_entropy", "gradient by autograd, float32 at magnitude 100", "",
                make(7, 5, 100.0, 22, "float32"), "hidden", kind="grad", torch_only=True),
    ]  # fmt: skip


def _problem(n: int, d: int, k: int, scale: float, seed: int, dtype: str = "float64"):
    """Build W (k, d), b (k,), X (n, d) and labels (n,) for cross_entropy_grad."""

    def build() -> dict[str, Any]:
        W, b = gen.params(k, d, scale, seed, dtype)
        return {
            "W": W,
            "b": b,
            "X": gen.features(n, d, seed, dtype),
            "labels": gen.labels(n, k, seed),
        }

    return build


def _grad_cases() -> list[CaseDef]:
    """dW and db on shapes where N, K and D all differ, so a transpose always shows."""
    fn = "cross_entropy_grad"
    return [
        CaseDef(fn, "random problem", "N=7, D=5, K=3, W and b normal(0, 1)",
                _problem(7, 5, 3, 1.0, 31)),
        CaseDef(fn, "larger problem", "", _problem(64, 20, 10, 0.5, 32), "hidden"),
        CaseDef(fn, "scores of magnitude 1000", "N=6, D=4, K=3, W and b normal(0, 500)",
                _problem(6, 4, 3, 500.0, 33)),
        CaseDef(fn, "two classes (K = 2)", "", _problem(9, 3, 2, 1.0, 34), "hidden"),
        CaseDef(fn, "K = 1000 classes", "", _problem(12, 5, 1000, 1.0, 35), "hidden"),
        CaseDef(fn, "one sample (N = 1)", "N=1, D=4, K=3", _problem(1, 4, 3, 1.0, 36)),
        CaseDef(fn, "float32 inputs", "", _problem(10, 6, 4, 1.0, 37, "float32"), "hidden"),
    ]  # fmt: skip


def _step(k: int, d: int, lr: float, seed: int, dtype: str = "float64"):
    """Build W, b, dW, db and lr for sgd_step."""

    def build() -> dict[str, Any]:
        W, b = gen.params(k, d, 1.0, seed, dtype)
        dW, db = gen.params(k, d, 0.1, seed + 1, dtype)
        return {"W": W, "b": b, "dW": dW, "db": db, "lr": lr}

    return build


def _train(n: int, d: int, k: int, lr: float, batch: int, iters: int, seed: int, dtype="float64"):
    """Build the arguments of train_sgd on a learnable blob problem."""

    def build() -> dict[str, Any]:
        X, labels = gen.blobs(n, d, k, seed, dtype)
        return {"X": X, "labels": labels, "num_classes": k, "lr": lr, "batch_size": batch,
                "num_iters": iters, "seed": seed}  # fmt: skip

    return build


def _fixed(**kwargs: Any) -> Callable[[], dict[str, Any]]:
    """A build function returning fixed scalar arguments."""
    return lambda: dict(kwargs)


def _rest_cases() -> list[CaseDef]:
    """sgd_step, lr_schedule and train_sgd."""
    steps = [
        CaseDef("sgd_step", "random step", "K=3, D=4, lr=0.1", _step(3, 4, 0.1, 41)),
        CaseDef("sgd_step", "larger step", "", _step(10, 20, 0.5, 42), "hidden"),
        CaseDef("sgd_step", "float32 arrays", "", _step(4, 6, 0.01, 43, "float32"), "hidden"),
        CaseDef("sgd_step", "lr = 2.5", "K=2, D=3, lr=2.5", _step(2, 3, 2.5, 44)),
    ]
    lr = "lr_schedule"
    schedule = [
        CaseDef(lr, "t = 0 with the defaults", "t=0", _fixed(t=0)),
        CaseDef(lr, "t = 9, the last iteration at lr0", "t=9", _fixed(t=9)),
        CaseDef(lr, "t = 10, the first halving", "t=10", _fixed(t=10)),
        CaseDef(lr, "t = 25", "", _fixed(t=25), "hidden"),
        CaseDef(lr, "other lr0, decay and every", "", _fixed(t=7, lr0=0.1, decay=0.9, every=3),
                "hidden"),
    ]  # fmt: skip
    fn = "train_sgd"
    training = [
        CaseDef(fn, "batch_size == N is gradient descent",
                "N=40, D=3, K=3, lr=0.5, batch_size=40, num_iters=15",
                _train(40, 3, 3, 0.5, 40, 15, 51), kind="train_exact"),
        CaseDef(fn, "mini-batches reach the reference's loss",
                "N=300, D=4, K=3, lr=0.5, batch_size=20, num_iters=50",
                _train(300, 4, 3, 0.5, 20, 50, 52), kind="train_behaviour"),
        CaseDef(fn, "float32, batch_size == N", "", _train(30, 4, 3, 0.3, 30, 10, 53, "float32"),
                "hidden", kind="train_exact"),
        CaseDef(fn, "float32, mini-batches", "", _train(200, 5, 4, 0.3, 16, 40, 54, "float32"),
                "hidden", kind="train_behaviour"),
    ]  # fmt: skip
    return steps + schedule + training


def battery() -> list[CaseDef]:
    """Every case of the lecture4 battery, in the spec's function order."""
    return [
        *_scores_cases("softmax", with_labels=False),
        *_quality_cases(),
        *_scores_cases("cross_entropy", with_labels=True),
        *_grad_autograd_cases(),
        *_grad_cases(),
        *_rest_cases(),
    ]
