"""Variable probes and support modules, in the process runner and the hardened one."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from reference.pack import Probe, TensorValue
from worker.sandbox.host.api import CallSpec, Limits, SandboxRequest, SourceChunk
from worker.sandbox.host.bwrap_runner import BwrapRunner
from worker.sandbox.host.process_runner import ProcessRunner

UTILS = "def display_scores(scores):\n    print('table of', tuple(scores.shape))\n"
CODE = r"""
import sys
import torch
import torch.nn as nn
import utils
criterion = nn.CrossEntropyLoss(reduction="sum")
labels = torch.LongTensor([0, 1, 1])
scores = torch.tensor([[2.0, -2.0], [-1.0, 1.0], [0.0, 3.0]], requires_grad=True)
utils.display_scores(scores)
average_loss = criterion(scores, labels)
as_float = average_loss.item()
the_class = nn.CrossEntropyLoss
where = utils.__spec__.origin
with open("utils.py", "w") as f:  # a utils of one's own, in the scratch dir
    f.write("def display_scores(scores):\n    return 'mine'\n")
del sys.modules["utils"]
import utils as again
wrote = again.display_scores(scores) == "mine"

class Tricky:
    @property
    def reduction(self):
        raise SystemExit(3)
tricky = Tricky()
"""


def runners():
    yield pytest.param(ProcessRunner, id="process")
    reason = BwrapRunner.unsupported_reason()
    yield pytest.param(
        BwrapRunner, id="bwrap", marks=pytest.mark.skipif(reason is not None, reason=str(reason))
    )


@pytest.fixture(scope="module", params=list(runners()))
def observed(request):
    attributes = ("reduction", "weight", "label_smoothing")
    names = ("criterion", "average_loss", "as_float", "the_class", "where", "wrote", "tricky")
    probe = Probe("variable", names=("scores",), attributes=attributes)
    calls = [CallSpec(n, n, {}, probe) for n in names]
    calls.append(CallSpec("absent", "absent", {}, Probe("variable")))
    chunk = SourceChunk(textwrap.dedent(CODE), "lab.py")
    sandbox = SandboxRequest(
        "torch", "cpu", (chunk,), tuple(calls), limits=Limits(), support={"utils": UTILS}
    )
    with request.param() as runner:
        return runner.run(sandbox)


def test_support_modules_are_importable_and_print(observed) -> None:
    assert observed.imported.status == "ok", observed.imported.error
    assert "table of (3, 2)" in observed.output
    assert observed.observations["where"].value["where"].value == "<support utils>"
    assert observed.observations["wrote"].value["wrote"].value is False  # still ours


def test_a_loss_instance_is_described_by_its_type_and_attributes(observed) -> None:
    criterion = observed.observations["criterion"].value["criterion"]
    assert criterion.type_name == "torch.nn.modules.loss.CrossEntropyLoss"
    assert "torch.nn.modules.module.Module" in criterion.mro and criterion.value is None
    assert criterion.attributes == {"reduction": "sum", "weight": None, "label_smoothing": 0.0}


def test_tensors_come_back_as_data_with_dtype_shape_and_grad(observed) -> None:
    found = observed.observations["average_loss"].value
    loss, scores = found["average_loss"].value, found["scores"].value
    assert type(loss) is TensorValue and loss.array.shape == () and loss.dtype == "float32"
    assert scores.requires_grad and scores.array.shape == (3, 2)
    np.testing.assert_array_equal(scores.array, [[2, -2], [-1, 1], [0, 3]])


def test_floats_classes_missing_names_and_raising_properties(observed) -> None:
    assert type(observed.observations["as_float"].value["as_float"].value) is float
    the_class = observed.observations["the_class"].value["the_class"]
    assert the_class.class_name == "torch.nn.modules.loss.CrossEntropyLoss"
    assert observed.observations["absent"].status == "missing"
    tricky = observed.observations["tricky"]
    assert tricky.status == "exception" and "SystemExit" in tricky.error
