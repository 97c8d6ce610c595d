"""Parent side: how large the arguments of one call's oracle requests may be.

A child chooses the arguments it passes to a lent reference helper, and the helper runs
in the trusted parent: unchecked, a (M, 1) ``W`` with M labels makes the reference
cross-entropy gradient build M x M arrays. So, before any oracle runs, each array argument
must be no larger than what the call's own inputs could make: no dimension longer than the
longest of theirs, and no more elements than the largest input array or the product of
their two largest dimensions (scores X @ W.T are N x K from X (N, D) and W (K, D)), with
a small floor for calls whose inputs are tiny or scalars. The work an oracle does on
arguments within these bounds is then bounded by the case, whatever the student passes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from reference.pack import TensorArg, TensorValue

MIN_ELEMENTS = 1024  # the floor of the element bound (tiny inputs, scalar-only calls)
MIN_DIM = 32  # the floor of the dimension bound


@dataclass(frozen=True)
class Bounds:
    """Largest element count and dimension an oracle argument array may have."""

    elements: int
    dim: int

    @classmethod
    def of_inputs(cls, kwargs: Mapping[str, Any]) -> Bounds:
        """The bounds the inputs of one call set (``CallSpec.kwargs``)."""
        arrays = list(_arrays(list(kwargs.values())))
        largest = max((a.size for a in arrays), default=0)
        dims = sorted({n for a in arrays for n in a.shape}, reverse=True) + [1, 1]
        elements = max(largest, dims[0] * dims[1], MIN_ELEMENTS)
        return cls(elements, max(dims[0], MIN_DIM))

    def refusal(self, arguments: list[Any]) -> str | None:
        """Why these (decoded) oracle arguments are too large, or None if they are not."""
        for array in _arrays(arguments):
            if array.size > self.elements:
                return f"an array of {array.size} elements (at most {self.elements} here)"
            if array.ndim and max(array.shape) > self.dim:
                return f"an array of shape {array.shape} (no dimension above {self.dim} here)"
        return None


def _arrays(values: list[Any]) -> Iterator[np.ndarray]:
    """Every array in ``values``: NumPy arrays, tensors' arrays, inside lists and tuples."""
    stack = list(values)
    while stack:
        value = stack.pop()
        if type(value) in (TensorArg, TensorValue):
            value = value.array
        if isinstance(value, np.ndarray):
            yield value
        elif type(value) in (list, tuple):
            stack.extend(value)
