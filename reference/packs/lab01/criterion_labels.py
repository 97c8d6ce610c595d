"""The checks of ``criterion`` (15 points) and ``labels`` (20 points)."""

from __future__ import annotations

import numpy as np

from reference.pack import Inputs, Observation, Verdict
from reference.packs.lab01.facts import CROSS_ENTROPY_LOSS, LABELS, LOSSES, tensor, what

CRITERION_ATTRIBUTES = ("reduction", "weight", "label_smoothing")
LONG = "nn.CrossEntropyLoss needs class indices as a LongTensor"
TRUE_LABELS = "x(0) belongs to class 0, x(1) and x(2) to class 1: labels = [0, 1, 1]"
WRONG_LOSS = {
    "nn.NLLLoss": "nn.NLLLoss expects log-probabilities (it does no LogSoftmax), so on raw "
    "scores it is not the cross-entropy loss",
    "nn.BCELoss": "nn.BCELoss is the binary cross-entropy of probabilities in [0, 1], one per "
    "data point, not of a batch of class scores",
}


def check_criterion(inputs: Inputs, observation: Observation) -> Verdict:
    """An instance of nn.CrossEntropyLoss with the defaults: mean, no weights, no smoothing."""
    crit = observation.value["criterion"]
    if crit.class_name == CROSS_ENTROPY_LOSS:
        return Verdict(
            False,
            "criterion is the class nn.CrossEntropyLoss, not an instance of it: add the "
            "parentheses, criterion = nn.CrossEntropyLoss()",
            "class_not_instance",
        )
    if CROSS_ENTROPY_LOSS not in crit.mro:
        name = LOSSES.get(crit.type_name) or LOSSES.get(crit.class_name or "")
        why = WRONG_LOSS.get(name or "", "")
        held = f"{name}()" if name and crit.class_name is None else what(crit)
        message = f"criterion is {held}, not nn.CrossEntropyLoss()"
        message += f": {why}" if why else ""
        return Verdict(False, message + "; use criterion = nn.CrossEntropyLoss()", "wrong_loss")
    return options_verdict(crit.attributes)


def options_verdict(attributes: dict) -> Verdict:
    """Pass the default CrossEntropyLoss options; name the first that differs."""
    reduction = attributes.get("reduction")
    if reduction != "mean":
        return Verdict(
            False,
            f"criterion has reduction={reduction!r}: the cross-entropy loss of the lecture is "
            "the average over the batch, L = (1/N) sum_i l(i): keep the default, 'mean'",
            "criterion_options",
        )
    if attributes.get("weight") is not None:
        return Verdict(
            False,
            "criterion has class weights: Lab 01 uses no weights, nn.CrossEntropyLoss()",
            "criterion_options",
        )
    if attributes.get("label_smoothing", 0.0) != 0.0:
        return Verdict(
            False,
            "criterion uses label smoothing: Lab 01 uses none, nn.CrossEntropyLoss()",
            "criterion_options",
        )
    return Verdict(True)


def check_labels(inputs: Inputs, observation: Observation) -> Verdict:
    """A torch.int64 tensor of shape (3,) equal to [0, 1, 1]."""
    labels = observation.value["labels"]
    value = tensor(labels)
    if value is None:
        return Verdict(
            False,
            f"labels is {what(labels)}, not a tensor: {LONG}, labels = torch.LongTensor([0, 1, 1])",
            "labels_not_tensor",
        )
    array = value.array
    if array.shape == (3, 2):
        return Verdict(
            False,
            f"labels is one-hot, of shape (3, 2): {LONG} of shape (3,), one class index per "
            f"data point ({TRUE_LABELS})",
            "one_hot_labels",
        )
    if value.dtype != "int64":
        float_hint = " (torch.Tensor([...]) and torch.FloatTensor make float32)"
        return Verdict(
            False,
            f"labels has dtype {value.dtype}: {LONG} (torch.int64)"
            + (float_hint if value.dtype.startswith("float") else "")
            + ": labels = torch.LongTensor([0, 1, 1])",
            "labels_not_long",
        )
    if array.shape != (3,):
        return Verdict(
            False,
            f"labels has shape {tuple(array.shape)}: one class index per data point, (3,)",
            "labels_shape",
        )
    if not np.array_equal(array, LABELS):
        return Verdict(
            False,
            f"labels is {array.tolist()}, the wrong classes: {TRUE_LABELS}",
            "wrong_labels",
        )
    return Verdict(True)
