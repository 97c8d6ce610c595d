"""The six cases of lab01: one per row of the spec's table, three for the parts of scores.

Every case is a variable check (Probe kind 'variable') and visible: this is a lab, and
none of the values is secret. ``average_loss`` also reads ``scores`` and ``labels``, to
be judged against the student's own.
"""

from __future__ import annotations

from reference.pack import Case, Device, Probe
from reference.packs.lab01.criterion_labels import (
    CRITERION_ATTRIBUTES,
    check_criterion,
    check_labels,
)
from reference.packs.lab01.scores_loss import (
    check_average_loss,
    check_scores_loss,
    check_scores_order,
    check_scores_shape,
)


def no_inputs() -> dict:
    """Variable checks call nothing: no inputs."""
    return {}


def make_cases(device: Device) -> list[Case]:
    """The battery (the same on every device: lab01 is graded on the CPU)."""
    own = Probe(kind="variable")
    return [
        Case(
            "criterion: an nn.CrossEntropyLoss() with the default options",
            "criterion",
            no_inputs,
            check_criterion,
            "",
            probe=Probe(kind="variable", attributes=CRITERION_ATTRIBUTES),
        ),
        Case("labels: a LongTensor [0, 1, 1]", "labels", no_inputs, check_labels, "", probe=own),
        Case(
            "scores: a finite floating-point tensor of shape (3, 2)",
            "scores",
            no_inputs,
            check_scores_shape,
            "",
            weight=15,
            probe=own,
        ),
        Case(
            "scores: the score of each point's class is the larger one",
            "scores",
            no_inputs,
            check_scores_order,
            "",
            weight=10,
            probe=own,
        ),
        Case(
            "scores: average loss at most 0.05 against labels [0, 1, 1]",
            "scores",
            no_inputs,
            check_scores_loss,
            "",
            weight=10,
            probe=own,
        ),
        Case(
            "average_loss: the average cross-entropy of your scores",
            "average_loss",
            no_inputs,
            check_average_loss,
            "",
            probe=Probe(kind="variable", names=("scores", "labels")),
        ),
    ]
