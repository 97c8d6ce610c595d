"""The lecture4 assignments: softmax, Q_mean, cross-entropy and its gradient, SGD.

Two packs share one battery of cases: ``lecture4-numpy`` and ``lecture4-torch``.
"""

from __future__ import annotations

from reference.packs.lecture4.numpy_pack import PACK as NUMPY_PACK
from reference.packs.lecture4.torch_pack import PACK as TORCH_PACK

PACKS = [NUMPY_PACK, TORCH_PACK]
