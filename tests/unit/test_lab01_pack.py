"""lab01-cross-entropy: the starter notebook, the variable checks, the support module."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from reference.pack import Observation, TensorValue, VariableValue
from reference.packs import get_pack
from reference.packs.lab01.criterion_labels import check_criterion, check_labels
from reference.packs.lab01.facts import cross_entropy
from reference.packs.lab01.scores_loss import check_average_loss, check_scores_shape
from worker.grading.chunks import NotGradableError
from worker.grading.source import parse_submission
from worker.grading.starter import starter_ipynb, starter_py

PACK = get_pack("lab01-cross-entropy")
SPEC = Path("/work/shared/spec/lab01.md")
TENSOR = ("torch.Tensor", "torch._C.TensorBase", "builtins.object")
LOSS = "torch.nn.modules.loss."


def tensor(values, dtype: str = "float32") -> VariableValue:
    array = np.asarray(values, dtype=np.float32 if dtype == "float32" else dtype)
    return VariableValue("torch.Tensor", TENSOR, TensorValue(array, dtype, "cpu"))


def observe(**variables: VariableValue) -> Observation:
    return Observation("ok", variables)


def test_the_pack_is_the_spec_table_graded_on_the_cpu() -> None:
    points = {spec.name: spec.points for spec in PACK.variables}
    assert points == {"criterion": 15, "labels": 20, "scores": 35, "average_loss": 30}
    assert PACK.max_score == 100 and PACK.devices == ("cpu",) and PACK.runtime == "torch"
    cases = PACK.cases("cpu")
    assert all(c.probe.kind == "variable" and c.visibility == "visible" for c in cases)
    assert [c.weight for c in cases if c.function == "scores"] == [15, 10, 10]


def test_the_starter_notebook_holds_exactly_the_cells_of_the_spec() -> None:
    cells = nbformat.reads(starter_ipynb(PACK), as_version=4).cells
    assert [c.cell_type for c in cells] == ["code", "markdown"] * 4 + ["code"]
    assert cells[0].source == "import torch\nimport torch.nn as nn\nimport utils"
    assert cells[2].source == "criterion = # COMPLETE HERE\nprint(criterion)"
    assert cells[4].source == "labels = # COMPLETE HERE\nprint(labels, labels.type())"
    assert cells[6].source == "scores = # COMPLETE HERE\nutils.display_scores(scores)"
    assert cells[8].source == "average_loss = # COMPLETE HERE\nprint(average_loss.item())"
    if SPEC.exists():  # the markdown cells are the spec's sentences
        spec = " ".join(SPEC.read_text(encoding="utf-8").split())
        for cell in cells[1::2]:
            assert cell.source in spec.replace("\u201c", '"').replace("\u201d", '"')


@pytest.mark.parametrize(("filename", "make"), [("s.ipynb", starter_ipynb), ("s.py", starter_py)])
def test_the_starter_unchanged_is_not_gradable_naming_the_first_complete_here(filename, make):
    with pytest.raises(NotGradableError) as raised:
        parse_submission(filename, make(PACK))
    error = raised.value
    assert error.kind == "syntax_error" and "criterion = # COMPLETE HERE" in error.message
    if filename.endswith(".ipynb"):
        assert (error.cell, error.line) == (2, 1) and "cell 3, line 1" in error.message
    else:
        line = make(PACK).splitlines().index("criterion = # COMPLETE HERE") + 1
        assert error.line == line and f"line {line}" in error.message


def test_the_catalog_lists_the_variables_like_functions() -> None:
    from worker.catalog_publisher import assignment_info

    info = assignment_info(PACK)
    assert [f.name for f in info.functions] == ["criterion", "labels", "scores", "average_loss"]
    assert info.max_score == 100 and len(info.visible_cases) == 6
    assert "".join(json.loads(info.starter_ipynb)["cells"][2]["source"]).startswith("criterion =")


@pytest.mark.parametrize(
    ("variable", "passed", "diagnosis"),
    [
        (VariableValue(LOSS + "CrossEntropyLoss", (LOSS + "CrossEntropyLoss",),
                       attributes={"reduction": "mean", "weight": None,
                                   "label_smoothing": 0.0}), True, None),
        (VariableValue(LOSS + "CrossEntropyLoss", (LOSS + "CrossEntropyLoss",),
                       attributes={"reduction": "sum", "weight": None}), False,
         "criterion_options"),
        (VariableValue(LOSS + "CrossEntropyLoss", (LOSS + "CrossEntropyLoss",),
                       attributes={"reduction": "mean", "label_smoothing": 0.1}), False,
         "criterion_options"),
        (VariableValue("builtins.type", class_name=LOSS + "CrossEntropyLoss"), False,
         "class_not_instance"),
        (VariableValue(LOSS + "NLLLoss", (LOSS + "NLLLoss",)), False, "wrong_loss"),
    ],
)  # fmt: skip
def test_criterion_checks(variable, passed, diagnosis) -> None:
    verdict = check_criterion({}, observe(criterion=variable))
    assert (verdict.passed, verdict.diagnosis) == (passed, diagnosis)


@pytest.mark.parametrize(
    ("variable", "diagnosis"),
    [
        (tensor([0, 1, 1], "int64"), None),
        (tensor([0, 1, 1], "int32"), "labels_not_long"),
        (tensor([0, 1, 1]), "labels_not_long"),
        (tensor([[1, 0], [0, 1], [0, 1]], "int64"), "one_hot_labels"),
        (tensor([0, 1, 1, 0], "int64"), "labels_shape"),
        (tensor([0, 0, 1], "int64"), "wrong_labels"),
        (VariableValue("builtins.list", value=[0, 1, 1]), "labels_not_tensor"),
    ],
)
def test_labels_checks(variable, diagnosis) -> None:
    verdict = check_labels({}, observe(labels=variable))
    assert verdict.diagnosis == diagnosis and verdict.passed is (diagnosis is None)
    if diagnosis == "labels_not_long":
        assert "nn.CrossEntropyLoss needs class indices as a LongTensor" in verdict.message


def test_scores_must_be_finite() -> None:
    verdict = check_scores_shape({}, observe(scores=tensor([[np.inf, 0], [0, 1], [0, 1]])))
    assert verdict.diagnosis == "scores_not_finite"


SCORES = [[3.0, -1.0], [-2.0, 2.5], [0.0, 4.0]]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_average_loss_is_judged_against_the_students_own_scores_in_their_dtype(dtype) -> None:
    scores = tensor(SCORES, dtype)
    exact = cross_entropy(np.array(SCORES), np.array([0, 1, 1]))
    off = {"float32": 5e-5, "float64": 5e-8}[dtype]  # inside its tolerance, not the other's
    near = tensor(exact * (1 + off), dtype)
    assert check_average_loss({}, observe(average_loss=near, scores=scores)).passed
    far = tensor(exact * (1 + 20 * off), dtype)
    verdict = check_average_loss({}, observe(average_loss=far, scores=scores))
    assert verdict.diagnosis == "wrong_loss_value" and f"{exact:.6g}" in verdict.message


def test_average_loss_uses_the_students_labels_when_they_are_class_indices() -> None:
    own = np.array([1, 0, 0])
    loss = tensor(cross_entropy(np.array(SCORES), own), "float64")
    found = dict(average_loss=loss, scores=tensor(SCORES, "float64"))
    assert check_average_loss({}, observe(**found, labels=tensor(own, "int64"))).passed
    assert not check_average_loss({}, observe(**found, labels=tensor(own))).passed  # float


@pytest.mark.parametrize(
    ("variable", "diagnosis"),
    [
        (VariableValue("builtins.float", value=0.01), "loss_not_tensor"),
        (tensor([0.1, 0.2, 0.3]), "loss_shape"),
    ],
)
def test_average_loss_must_be_a_0_dim_tensor(variable, diagnosis) -> None:
    found = observe(average_loss=variable, scores=tensor(SCORES))
    assert check_average_loss({}, found).diagnosis == diagnosis


def test_average_loss_without_usable_scores_says_so() -> None:
    found = observe(average_loss=tensor(0.1), scores=tensor([[1.0, 2.0, 3.0]]))
    verdict = check_average_loss({}, found)
    assert verdict.diagnosis == "scores_unusable" and re.search(r"\(1, 3\)", verdict.message)
