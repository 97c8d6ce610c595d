"""The ``lecture4-torch`` pack: the seven functions written with PyTorch, on CPU or CUDA."""

from __future__ import annotations

from reference.pack import Pack
from reference.packs.lecture4.bind import TOLERANCES, make_cases
from reference.packs.lecture4.functions import LIMITS, TORCH_FORBIDDEN, function_specs
from reference.packs.lecture4.oracles import oracles
from reference.packs.lecture4.readme import README

PACK = Pack(
    id="lecture4-torch",
    title="Loss and optimization of a one-layer softmax network (PyTorch)",
    runtime="torch",
    devices=("cpu", "cuda"),
    functions=function_specs("torch"),
    cases=make_cases("torch", TOLERANCES),
    tolerances=TOLERANCES,
    forbidden=TORCH_FORBIDDEN,
    starter_preamble="import torch\n",
    readme=README,
    limits=LIMITS,
    oracles=oracles("torch"),
)
