"""Name the bug behind a failed lecture4 result by matching known-buggy variants.

When a result fails, it is compared with what typical mistakes would have returned,
each computed from the reference: sum instead of mean, a transposed gradient, labels off
by one, and so on. The first match names the bug class and tells the student what to
change in the lecture's notation (scores, probs, W, b, lr, Q_mean). Hidden cases get the
same advice without any numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from reference import kernels_numpy as ref
from reference.pack import Tolerance
from reference.packs.lecture4.inputs import as_float64

LOG_SUM_EXP_HINT = "subtract the row maximum before exp (the log-sum-exp trick)"
LOG_SOFTMAX = "compute log-softmax directly, scores - max - log(sum(exp(scores - max)))"


@dataclass(frozen=True)
class Failure:
    """A failed result, as the diagnosis sees it.

    ``inputs``: the call's arguments as NumPy, in their own dtype. ``actual``: the
    student's outputs as float64 arrays (None where unusable); ``expected``: the
    reference's. ``output`` indexes the first failing output, which failed at ``layer``
    with ``message`` (the comparison's sentence, already fit for the case's visibility).
    """

    function: str
    inputs: Mapping[str, Any]
    actual: tuple[np.ndarray | None, ...]
    expected: tuple[Any, ...]
    output: int
    layer: str
    message: str
    tolerance: Tolerance
    label: str = ""  # the failing output's name where the function returns several ('dW')

    @property
    def got(self) -> np.ndarray | None:
        """The student's value of the failing output."""
        return self.actual[self.output]

    @property
    def detail(self) -> str:
        """The comparison's sentence without the function's name it starts with."""
        return self.message.removeprefix(f"{self.function}: ")

    def subject(self, whole: str) -> str:
        """Who the advice is about: the failing output ('dW'), or ``whole`` for one output."""
        return self.label or whole


@dataclass(frozen=True)
class Diagnosis:
    """A recognised bug class ('no_max_subtraction', ...) and the advice for it."""

    bug: str
    message: str


Detector = Callable[[Failure, bool], Diagnosis | None]


def diagnose(failure: Failure, *, reveal: bool) -> Diagnosis | None:
    """Return the first known bug that explains ``failure``, or None."""
    for detector in _DETECTORS.get(failure.function, ()):
        found = detector(failure, reveal)
        if found is not None:
            return found
    return None


def _close(got: np.ndarray | None, want: Any, tol: Tolerance) -> bool:
    """Whether ``got`` matches a variant (tolerance widened: the variant is a model too)."""
    if got is None or got.shape != np.shape(want) or not np.isfinite(got).all():
        return False
    return bool(np.allclose(got, want, rtol=10 * tol.rtol, atol=10 * tol.atol))


def _detail(text: str, failure: Failure, reveal: bool) -> str:
    """Append the comparison's got/expected sentence for visible cases, once, flat:
    'the schedule is one step off: ...; the learning rate is 1.3, expected 2.5 (rtol=...)'."""
    return f"{text}; {failure.detail}" if reveal else text


def _scores(inputs: Mapping[str, Any]) -> np.ndarray:
    """The scores (N, K) of the call, in the inputs' dtype."""
    if "scores" in inputs:
        return inputs["scores"]
    return inputs["X"] @ inputs["W"].T + inputs["b"]


def _num_classes(inputs: Mapping[str, Any]) -> int:
    """K, read from probs, scores or W."""
    for name in ("probs", "scores"):
        if name in inputs:
            return inputs[name].shape[1]
    return inputs["W"].shape[0]


def _magnitude(value: float) -> str:
    """1234.5 -> '1000', 23456 -> '1e4': the order of magnitude as the spec writes it."""
    power = int(np.floor(np.log10(value))) if value >= 1 else 0
    return str(10**power) if power < 4 else f"1e{power}"


def _overflow(failure: Failure, reveal: bool) -> Diagnosis | None:
    """nan/inf where plain exp(scores) overflows (or a whole row underflows to 0)."""
    if failure.layer != "finite":
        return None
    scores = _scores(failure.inputs)
    with np.errstate(over="ignore", under="ignore"):
        exps = np.exp(scores)
    if np.isfinite(exps).all() and (exps.sum(axis=1) > 0).all():
        return None
    kind = "nan" if np.isnan(failure.got).any() else "inf"
    size = _magnitude(float(np.abs(scores).max()))
    where = f"scores of magnitude {size}" if reveal else "large scores"
    advice = LOG_SUM_EXP_HINT
    if failure.function == "cross_entropy" and kind == "inf":
        # Plain exp overflowing and -log(softmax) of a stable softmax both give inf here;
        # the one fix covers both.
        advice = (
            "exp(scores) overflows, or a probability underflows to zero before its log; "
            f"{LOG_SUM_EXP_HINT} and {LOG_SOFTMAX}"
        )
    return Diagnosis(
        "no_max_subtraction", f"{failure.function} returned {kind} for {where}: {advice}"
    )


def _log_of_underflow(failure: Failure, reveal: bool) -> Diagnosis | None:
    """inf where exp(scores) is finite but a correct-class probability underflows to 0:
    -log(softmax(scores)[i, labels[i]]), even with a stable softmax."""
    if failure.layer != "finite" or np.isnan(failure.got).any():
        return None
    scores, labels = _scores(failure.inputs), failure.inputs["labels"]
    with np.errstate(under="ignore"):
        picked = ref.softmax(scores)[np.arange(len(labels)), labels]
    if (picked > 0).all():
        return None
    where = f"scores of magnitude {float(np.abs(scores).max()):g}" if reveal else "large scores"
    message = (
        f"{failure.function} returned inf for {where}: a correct-class probability underflows "
        f"to zero and its log is -inf; do not take the log of softmax, {LOG_SOFTMAX}"
    )
    return Diagnosis("log_of_underflow", message)


def _factor(bug: str, factor: Callable[[Failure], float], advice: str) -> Detector:
    """A detector for results off by a factor (N times too large, K times too small)."""

    def detect(failure: Failure, reveal: bool) -> Diagnosis | None:
        scale = factor(failure)
        want = np.multiply(failure.expected[failure.output], scale)
        if scale == 1 or not _close(failure.got, want, failure.tolerance):
            return None
        text = advice.format(subject=failure.subject("the gradient"))
        return Diagnosis(bug, _detail(f"{failure.function}: {text}", failure, reveal))

    return detect


def _n(failure: Failure) -> float:
    """N, the number of samples."""
    return float(len(failure.inputs["labels"]))


def _one_over_k(failure: Failure) -> float:
    """1 / K: what dividing by N * K instead of N does to a mean over N."""
    return 1.0 / _num_classes(failure.inputs)


def _variant(failure: Failure, text: str, bug: str, want: Any, reveal: bool) -> Diagnosis | None:
    """Diagnose ``bug`` if the failing output matches the variant's value ``want``."""
    if not _close(failure.got, want, failure.tolerance):
        return None
    return Diagnosis(bug, _detail(f"{failure.function}: {text}", failure, reveal))


def _flipped_sign(failure: Failure, reveal: bool) -> Diagnosis | None:
    """The gradient of Y - P instead of P - Y."""
    want = -np.asarray(failure.expected[failure.output])
    formula = {
        "db": "db = sum_i (p_i - y_i) / N, not sum_i (y_i - p_i) / N",
    }.get(failure.label, "dW = (P - Y)^T X / N, not (Y - P)^T X / N")
    text = f"{failure.subject('the gradient')} has the wrong sign: {formula}"
    return _variant(failure, text, "flipped_sign", want, reveal)


def _no_one_hot(failure: Failure, reveal: bool) -> Diagnosis | None:
    """P^T X / N and sum_i p_i / N: the one-hot labels Y were never subtracted."""
    x = as_float64(failure.inputs)
    probs = ref.softmax(_scores(x))
    want = (probs.T @ x["X"] / len(x["labels"]), probs.sum(axis=0) / len(x["labels"]))
    formula = {"db": "db = sum_i (p_i - y_i) / N"}.get(
        failure.label, "dW = (P - Y)^T X / N, with Y[i, labels[i]] = 1"
    )
    text = f"{failure.subject('the gradient')} forgot to subtract the one-hot Y: {formula}"
    return _variant(failure, text, "no_one_hot", want[failure.output], reveal)


def _step_up(failure: Failure, reveal: bool) -> Diagnosis | None:
    """A step along the gradient: W + lr * dW."""
    x = as_float64(failure.inputs)
    want = (x["W"] + x["lr"] * x["dW"], x["b"] + x["lr"] * x["db"])[failure.output]
    text = "the step goes up the gradient: W_new = W - lr * dW and b_new = b - lr * db"
    return _variant(failure, text, "flipped_sign", want, reveal)


def _transposed(failure: Failure, reveal: bool) -> Diagnosis | None:
    """dW returned as (D, K): (P - Y)^T X the other way round, or X^T (P - Y)."""
    want = np.shape(failure.expected[failure.output])
    if failure.layer != "shape" or failure.got.shape != want[::-1] or len(want) != 2:
        return None
    message = f"{failure.message}; dW has the layout of W, one row per class: transpose it"
    turned = replace(failure, actual=_with(failure, failure.got.T), layer="value")
    if not _close(turned.got, failure.expected[failure.output], failure.tolerance):
        also = diagnose(turned, reveal=False)  # a second, independent bug in dW
        found = also.message.removeprefix(f"{failure.function}: ") if also else ""
        message += f"; {found}" if found else "; transposed, dW is still wrong"
    return Diagnosis("transposed_gradient", message)


def _with(failure: Failure, value: np.ndarray) -> tuple[np.ndarray | None, ...]:
    """The student's outputs with the failing one replaced by ``value``."""
    actual = list(failure.actual)
    actual[failure.output] = value
    return tuple(actual)


def _zero_db(failure: Failure, reveal: bool) -> Diagnosis | None:
    """db left at zero."""
    want = np.zeros(np.shape(failure.expected[1])) if failure.output == 1 else None
    text = "db is all zeros; db = sum_i (p_i - y_i) / N, the column sums of (P - Y) / N"
    return None if want is None else _variant(failure, text, "zero_db", want, reveal)


def _labels_off_by_one(failure: Failure, reveal: bool) -> Diagnosis | None:
    """labels - 1 or labels + 1 (1-based thinking) picking the correct class."""
    inputs = as_float64(failure.inputs)
    k = _num_classes(inputs)
    text = "picks the wrong class: labels are 0-based indices in [0, K), use column labels[i]"
    for shift in (-1, 1):
        variant = getattr(ref, failure.function)(
            **dict(inputs, labels=(inputs["labels"] + shift) % k)
        )
        want = (variant if isinstance(variant, tuple) else (variant,))[failure.output]
        found = _variant(failure, text, "labels_off_by_one", want, reveal)
        if found is not None:
            return found
    return None


def _wrong_axis(failure: Failure, reveal: bool) -> Diagnosis | None:
    """softmax normalising columns instead of rows."""
    want = ref.softmax(as_float64(failure.inputs)["scores"].T).T
    text = "it normalises the columns; normalise each row (one row per sample) instead"
    return _variant(failure, text, "wrong_axis", want, reveal)


def _underflow(failure: Failure, reveal: bool) -> Diagnosis | None:
    """A plain product of N probabilities, which is 0.0 in floating point for large N."""
    if failure.layer != "value" or failure.got is None or float(failure.got) != 0.0:
        return None
    n = len(failure.inputs["labels"])
    what = f"quality returned 0.0 for {n:,} samples" if reveal else "quality returned 0.0"
    message = f"{what}: the product underflows; average the logs instead"
    return Diagnosis("product_underflow", message)


def _arithmetic_mean(failure: Failure, reveal: bool) -> Diagnosis | None:
    """The arithmetic mean of the correct-class probabilities instead of the geometric one."""
    x = as_float64(failure.inputs)
    want = x["probs"][np.arange(len(x["labels"])), x["labels"]].mean()
    text = "that is the arithmetic mean; Q_mean is the geometric mean, exp(mean(log p))"
    return _variant(failure, text, "arithmetic_mean", want, reveal)


def _schedule(failure: Failure, reveal: bool) -> Diagnosis | None:
    """The decay applied one step early or late, or without rounding down."""
    x = {"lr0": 2.5, "decay": 0.5, "every": 10, **failure.inputs}
    t, every, lr0, decay = x["t"], x["every"], x["lr0"], x["decay"]
    text = "the schedule is one step off: use lr0 * decay ** (t // every), t counted from zero"
    for steps in ((t + 1) // every, (t - 1) // every, t // every + 1, t // every - 1):
        found = _variant(failure, text, "schedule_off_by_one", lr0 * decay**steps, reveal)
        if found is not None:
            return found
    text = "the rate must drop in steps: use integer division, lr0 * decay ** (t // every)"
    return _variant(failure, text, "schedule_not_stepped", lr0 * decay ** (t / every), reveal)


_MEAN_NK = "divides by N * K; the mean is over the N samples only"
_DETECTORS: dict[str, tuple[Detector, ...]] = {
    "softmax": (_overflow, _wrong_axis),
    "quality": (_underflow, _labels_off_by_one, _arithmetic_mean),
    "cross_entropy": (
        _overflow,
        _log_of_underflow,
        _factor("sum_instead_of_mean", _n, "sums over the samples; take the mean (divide by N)"),
        _factor("mean_over_nk", _one_over_k, _MEAN_NK),
        _labels_off_by_one,
    ),
    "cross_entropy_grad": (
        _transposed,
        _overflow,
        _factor("missing_1_over_n", _n, "{subject} is N times too large: divide by N"),
        _factor("mean_over_nk", _one_over_k, "{subject} " + _MEAN_NK),
        _flipped_sign,
        _zero_db,
        _no_one_hot,
        _labels_off_by_one,
    ),
    "sgd_step": (_step_up,),
    "lr_schedule": (_schedule,),
}
