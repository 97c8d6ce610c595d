"""The checks of ``scores`` (35 points in three parts) and ``average_loss`` (30 points).

``average_loss`` is judged against the student's own ``scores`` (and own ``labels`` where
those are valid class indices), so a mistake in ``scores`` costs the ``scores`` row only.
"""

from __future__ import annotations

import numpy as np

from reference.pack import Inputs, Observation, TensorValue, Verdict
from reference.packs.lab01.facts import (
    FLOATING,
    LABELS,
    MAX_LOSS,
    TOLERANCES,
    close,
    cross_entropy,
    shape,
    tensor,
    what,
)

ROW_PER_POINT = "one row per data point, one column per class: shape (3, 2)"


def scores_problem(observation: Observation) -> tuple[str, str] | None:
    """(message, diagnosis) if ``scores`` is not a finite floating tensor of shape (3, 2)."""
    scores = observation.value["scores"]
    value = tensor(scores)
    if value is None:
        return f"scores is {what(scores)}, not a tensor: make it with torch.tensor", "not_tensor"
    if value.dtype not in FLOATING:
        message = f"scores has dtype {value.dtype}: scores are real numbers, a floating-point "
        return message + "tensor (write 2.0, not 2)", "scores_dtype"
    if value.array.shape == (2, 3):
        return f"scores has shape (2, 3), transposed: {ROW_PER_POINT}", "transposed_scores"
    if value.array.shape != (3, 2):
        return f"scores has shape {shape(value.array)}: {ROW_PER_POINT}", "scores_shape"
    if not np.isfinite(value.array).all():
        return "scores holds nan or inf: choose finite scores", "scores_not_finite"
    return None


def check_scores_shape(inputs: Inputs, observation: Observation) -> Verdict:
    """Part 1 (15): a floating-point tensor of shape (3, 2), finite."""
    problem = scores_problem(observation)
    return Verdict(True) if problem is None else Verdict(False, *problem)


def check_scores_order(inputs: Inputs, observation: Observation) -> Verdict:
    """Part 2 (10): in every row, the score of the point's class is the larger one."""
    problem = scores_problem(observation)
    if problem is not None:
        return Verdict(False, f"cannot check the rows of scores: {problem[0]}", problem[1])
    array = observation.value["scores"].value.array.astype(np.float64)
    wrong = [i for i, c in enumerate(LABELS) if not array[i, c] > array[i, 1 - c]]
    if not wrong:
        return Verdict(True)
    rows = ", ".join(f"x({i}) (class {LABELS[i]})" for i in wrong)
    return Verdict(
        False,
        f"scores favour the wrong class for {rows}: in each row, the score of the point's "
        "class must be the larger one",
        "scores_favour_wrong_class",
    )


def check_scores_loss(inputs: Inputs, observation: Observation) -> Verdict:
    """Part 3 (10): nn.CrossEntropyLoss()(scores, tensor([0, 1, 1])) <= 0.05."""
    problem = scores_problem(observation)
    if problem is not None:
        return Verdict(False, f"cannot compute the loss of scores: {problem[0]}", problem[1])
    loss = cross_entropy(observation.value["scores"].value.array, LABELS)
    if loss <= MAX_LOSS:
        return Verdict(True)
    return Verdict(
        False,
        f"the average loss of your scores against labels [0, 1, 1] is {loss:.4g}, above "
        f"{MAX_LOSS}: make the score of each point's class larger than the other one by "
        "more (a margin of 4 gives a loss of about 0.018)",
        "loss_too_high",
    )


def check_average_loss(inputs: Inputs, observation: Observation) -> Verdict:
    """A 0-dim floating tensor equal to the cross-entropy of the student's own scores."""
    loss = observation.value["average_loss"]
    value = tensor(loss)
    if value is None:
        hint = " (did you call .item()?)" if type(loss.value) in (float, int) else ""
        return Verdict(
            False,
            f"average_loss is {what(loss)}{hint}, not a tensor: keep the tensor the criterion "
            "returns, average_loss = criterion(scores, labels)",
            "loss_not_tensor",
        )
    if value.dtype not in FLOATING or value.array.shape != ():
        per_point = " (one loss per data point: reduction='none'?)" if value.array.ndim else ""
        return Verdict(
            False,
            f"average_loss is {what(loss)}{per_point}: the average loss is one number, "
            "a 0-dimensional floating-point tensor, average_loss = criterion(scores, labels)",
            "loss_shape",
        )
    scores = tensor(observation.value.get("scores"))
    unusable = own_scores_problem(scores)
    if unusable:
        message = f"average_loss cannot be checked against your scores: {unusable}"
        return Verdict(False, message, "scores_unusable")
    return loss_value_verdict(float(value.array), scores, labels_for(observation))


def own_scores_problem(scores: TensorValue | None) -> str:
    """Why the student's scores cannot be the ground of average_loss ('' if they can)."""
    if scores is None:
        return "scores is missing or is not a tensor"
    array = scores.array
    if scores.dtype not in FLOATING or array.ndim != 2 or array.shape[0] != 3 or array.shape[1] < 2:
        return f"scores is a {scores.dtype} tensor of shape {shape(array)}, not (3, 2)"
    if not np.isfinite(array).all():
        return "scores holds nan or inf"
    return ""


def labels_for(observation: Observation) -> np.ndarray:
    """The student's labels where they are int64 of shape (3,) in {0, 1}, else [0, 1, 1]."""
    labels = tensor(observation.value.get("labels"))
    if labels is None or labels.dtype != "int64" or labels.array.shape != (3,):
        return LABELS
    return labels.array if set(labels.array.tolist()) <= {0, 1} else LABELS


def loss_value_verdict(got: float, scores: TensorValue, labels: np.ndarray) -> Verdict:
    """Compare with the cross-entropy of ``scores`` against ``labels``; name the usual slips."""
    expected = cross_entropy(scores.array, labels)
    tolerance = TOLERANCES.get(scores.dtype, TOLERANCES["float32"])
    if close(got, expected, tolerance):
        return Verdict(True)
    mean = "the lecture's L = (1/N) sum_i -log(entry cl(i) of p(i)) is the average over the batch"
    if close(got, len(labels) * expected, tolerance):
        return Verdict(
            False,
            f"average_loss is the sum of the losses of the batch, not their mean: {mean}; "
            "use nn.CrossEntropyLoss() with its default reduction, 'mean'",
            "sum_instead_of_mean",
        )
    raw = -float(np.asarray(scores.array, np.float64)[np.arange(len(labels)), labels].mean())
    if close(got, raw, tolerance):
        return Verdict(
            False,
            "average_loss is -(1/N) sum_i scores[i, cl(i)], nn.NLLLoss on the raw scores: "
            "the cross-entropy takes the LogSoftmax of the scores first; use "
            "nn.CrossEntropyLoss()",
            "nll_on_scores",
        )
    return Verdict(
        False,
        f"average_loss is {got:.6g}, but the average cross-entropy of your scores against "
        f"labels {labels.tolist()} is {expected:.6g} ({mean}): "
        "average_loss = criterion(scores, labels)",
        "wrong_loss_value",
    )
