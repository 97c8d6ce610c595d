"""The ``lab01-cross-entropy`` assignment: the lecture's Lab 01 notebook, graded by the
variables it leaves behind (criterion, labels, scores, average_loss).

Students write top-level statements in the starter notebook (or a .py file with the same
statements); the course's ``utils`` module ships with the pack. Graded on the CPU only:
the notebook makes its own tensors, and nothing in it needs a GPU.
"""

from __future__ import annotations

from importlib.resources import files

from reference.pack import Pack
from reference.packs.lab01.cases import make_cases
from reference.packs.lab01.facts import TOLERANCES
from reference.packs.lab01.notebook import CELLS, VARIABLES

_HERE = files(__package__)

PACK = Pack(
    id="lab01-cross-entropy",
    title="Lab 01: nn.CrossEntropyLoss with a LongTensor of labels",
    runtime="torch",
    devices=("cpu",),
    functions=(),
    cases=make_cases,
    tolerances=TOLERANCES,
    readme=_HERE.joinpath("README.md").read_text(encoding="utf-8"),
    variables=VARIABLES,
    support={"utils": _HERE.joinpath("support", "utils.py").read_text(encoding="utf-8")},
    starter_cells=CELLS,
)
