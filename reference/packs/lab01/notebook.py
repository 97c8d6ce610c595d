"""The starter notebook's cells, exactly as the spec lists them, and the graded variables."""

from __future__ import annotations

from reference.pack import StarterCell, VariableSpec

CELLS = (
    StarterCell("code", "import torch\nimport torch.nn as nn\nimport utils"),
    StarterCell(
        "markdown",
        "Make a Cross Entropy Criterion and call it criterion. "
        "The command is nn.CrossEntropyLoss().",
    ),
    StarterCell("code", "criterion = # COMPLETE HERE\nprint(criterion)"),
    StarterCell(
        "markdown",
        "Suppose that there are only two classes (class 0 and class 1). Suppose we have a "
        "batch of three data points: x(0) belongs to class 0, x(1) belongs to class 1, x(2) "
        "belongs to class 1. Put the labels of each of these points in a LongTensor:",
    ),
    StarterCell("code", "labels = # COMPLETE HERE\nprint(labels, labels.type())"),
    StarterCell(
        "markdown",
        "Make a batch of scores: each row holds the scores of one data point, one column per "
        "class, so the batch has 3 rows and 2 columns. Choose scores that are good with "
        "respect to the labels: the average loss must be at most 0.05.",
    ),
    StarterCell("code", "scores = # COMPLETE HERE\nutils.display_scores(scores)"),
    StarterCell("markdown", "Use the criterion to compute the average loss on this batch."),
    StarterCell("code", "average_loss = # COMPLETE HERE\nprint(average_loss.item())"),
)

VARIABLES = (
    VariableSpec(
        "criterion",
        15,
        "An instance of torch.nn.CrossEntropyLoss with the default reduction ('mean'), "
        "no class weights, no label smoothing.",
    ),
    VariableSpec("labels", 20, "A LongTensor (torch.int64) of shape (3,): [0, 1, 1]."),
    VariableSpec(
        "scores",
        35,
        "A finite floating-point tensor of shape (3, 2), one row per data point (15); the "
        "score of each point's class is the larger one (10); their average loss is at most "
        "0.05 (10).",
    ),
    VariableSpec(
        "average_loss",
        30,
        "A 0-dimensional floating-point tensor: the average cross-entropy of your scores "
        "against your labels, criterion(scores, labels).",
    ),
)
