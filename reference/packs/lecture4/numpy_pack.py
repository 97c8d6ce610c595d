"""The ``lecture4-numpy`` pack: the seven functions written with NumPy, graded on the CPU."""

from __future__ import annotations

from reference.pack import Pack
from reference.packs.lecture4.bind import TOLERANCES, make_cases
from reference.packs.lecture4.functions import LIMITS, NUMPY_FORBIDDEN, function_specs
from reference.packs.lecture4.oracles import oracles
from reference.packs.lecture4.readme import README

PACK = Pack(
    id="lecture4-numpy",
    title="Loss and optimization of a one-layer softmax network (NumPy)",
    runtime="numpy",
    devices=("cpu",),
    functions=function_specs("numpy"),
    cases=make_cases("numpy", TOLERANCES),
    tolerances=TOLERANCES,
    forbidden=NUMPY_FORBIDDEN,
    starter_preamble="import numpy as np\n",
    readme=README,
    limits=LIMITS,
    oracles=oracles("numpy"),
)
