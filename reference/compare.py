"""Layered comparison of a student's result with the expected value: pure, no I/O.

The layers run in order and the first failure wins, so a student hears about the most basic
problem first: missing -> type -> shape -> dtype -> device -> finite -> value. Each failure
is one sentence naming the function and the result ("cross_entropy_grad: dW has shape
(D, K) = (5, 3), expected (K, D) = (3, 5)"). With ``reveal=False`` (hidden cases) a message
names only the kind of failure: no expected values, no sizes, no error magnitudes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from reference.pack import Runtime, TensorValue, Tolerance

# Python numbers, and NumPy's scalar types (what a float64 reduction returns).
_NUMBERS = (int, float, np.float64, np.float32, np.float16, np.int64, np.int32)

Layer = Literal["ok", "missing", "type", "shape", "dtype", "device", "finite", "value"]


@dataclass(frozen=True)
class Expect:
    """What one result must look like.

    ``dims``: its symbolic shape, e.g. ("K", "D"); () for a scalar. ``sizes``: the symbols'
    values in this case, e.g. {"N": 8, "K": 5, "D": 3}. ``dtype``/``device`` (torch): the
    input's dtype name and device type ('cpu', 'cuda'); None skips the layer. ``number_ok``:
    a Python float/int is accepted for a scalar (otherwise only 0-dim arrays or tensors).
    """

    function: str
    label: str
    runtime: Runtime
    tolerance: Tolerance
    dims: tuple[str, ...] = ()
    sizes: Mapping[str, int] = field(default_factory=dict)
    dtype: str | None = None
    device: str | None = None
    number_ok: bool = True


@dataclass(frozen=True)
class Comparison:
    """The outcome: ``layer`` is where it failed ('ok' if it passed).

    ``actual`` is the student's value as float64 NumPy, once it got past the type layer,
    so a diagnosis can test it against known bugs.
    """

    layer: Layer
    message: str = ""
    actual: np.ndarray | None = None

    @property
    def passed(self) -> bool:
        """True if every layer passed."""
        return self.layer == "ok"


def compare(got: Any, expected: Any, expect: Expect, *, reveal: bool) -> Comparison:
    """Compare ``got`` (from an Observation) with ``expected`` (array or number) layer by layer."""
    form = compare_form(got, np.shape(expected), expect, reveal=reveal)
    if not form.passed:
        return form
    tol = expect.tolerance
    if not np.allclose(form.actual, expected, rtol=tol.rtol, atol=tol.atol):
        message = _value_message(_subject(expect), form.actual, expected, tol, reveal)
        return Comparison("value", message, form.actual)
    return form


def compare_form(got: Any, shape: tuple[int, ...], expect: Expect, *, reveal: bool) -> Comparison:
    """Run every layer but the value one: for results judged by behaviour, not by value."""
    subject = _subject(expect)
    if got is None:
        return Comparison("missing", f"{subject} is None, expected {_wanted(expect)}")
    array, type_error = _as_array(got, expect)
    if type_error:
        return Comparison("type", f"{subject} is {type_error}, expected {_wanted(expect)}")
    if array.shape != shape:
        return Comparison("shape", _shape_message(subject, array.shape, expect, reveal), array)
    if isinstance(got, TensorValue):
        if expect.dtype is not None and got.dtype != expect.dtype:
            message = f"{subject} has dtype {got.dtype}, expected {expect.dtype} (the input's)"
            return Comparison("dtype", message, array)
        if expect.device is not None and got.device.split(":")[0] != expect.device:
            message = f"{subject} is on {got.device}, expected {expect.device} (the input's)"
            return Comparison("device", message, array)
    if not np.isfinite(array).all():
        return Comparison("finite", _finite_message(subject, array, reveal), array)
    return Comparison("ok", "", array)


def a_type(value: Any) -> str:
    """Name the type of ``value`` with its article: 'an ndarray', 'a list'."""
    name = type(value).__name__
    spoken_vowel = name[0] in "aeiou" or name == "ndarray"  # "an en-dee-array"
    return f"{'an' if spoken_vowel else 'a'} {name}"


def _subject(expect: Expect) -> str:
    """The start of every message: 'cross_entropy_grad: dW'."""
    return f"{expect.function}: {expect.label}"


def _wanted(expect: Expect) -> str:
    """Describe the expected kind of value, e.g. 'a torch tensor of shape (K, D)'."""
    if not expect.dims:
        if expect.runtime == "torch":
            return "a number or 0-dim tensor" if expect.number_ok else "a 0-dim tensor"
        return "a number"
    kind = "a torch tensor" if expect.runtime == "torch" else "a NumPy array"
    return f"{kind} of shape {_symbols(expect.dims)}"


def _as_array(got: Any, expect: Expect) -> tuple[np.ndarray, str]:
    """Return (got as float64 array, '') or (empty, what got is) if its type is not allowed."""
    scalar = not expect.dims
    if type(got) in _NUMBERS and scalar and expect.number_ok:
        try:
            return np.asarray(float(got)), ""
        except OverflowError:  # an int beyond float64 (10**400): the student's value
            return np.empty(0), "an int too large for a float"
    if expect.runtime == "torch" and type(got) is TensorValue:
        array = got.array
    elif expect.runtime == "numpy" and type(got) is np.ndarray:
        array = got
    elif isinstance(got, np.ndarray | TensorValue):
        return np.empty(0), f"a {type(got).__module__}.{type(got).__qualname__}"
    else:
        return np.empty(0), a_type(got)
    if type(array) is not np.ndarray or array.dtype.kind not in "fiub":
        return np.empty(0), f"an array of dtype {getattr(array, 'dtype', '?')}"
    return array.astype(np.float64), ""


def _symbols(dims: tuple[str, ...]) -> str:
    """Format symbolic dims as a shape: ('K',) -> '(K,)', ('K', 'D') -> '(K, D)'."""
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


def _name_dims(shape: tuple[int, ...], expect: Expect) -> tuple[str, ...] | None:
    """Name each size of ``shape`` by a symbol of equal size, or None if one has no name.

    A size equal to the expected symbol at the same position takes that name first, so
    an unambiguous answer is found whenever the case's N, K and D differ.
    """
    names = []
    for position, size in enumerate(shape):
        matches = [symbol for symbol, value in expect.sizes.items() if value == size]
        if position < len(expect.dims) and expect.dims[position] in matches:
            names.append(expect.dims[position])
        elif len(matches) == 1:
            names.append(matches[0])
        else:
            return None
    return tuple(names)


def _shape_message(subject: str, shape: tuple[int, ...], expect: Expect, reveal: bool) -> str:
    """'dW has shape (D, K) = (5, 3), expected (K, D) = (3, 5)'; no sizes when hidden."""
    want = _symbols(expect.dims) if expect.dims else "() (a scalar)"
    named = _name_dims(shape, expect)
    if not reveal:
        got = f"has shape {_symbols(named)}" if named else "has the wrong shape"
        return f"{subject} {got}, expected {want}"
    wanted_sizes = tuple(expect.sizes.get(d, 0) for d in expect.dims)
    got = f"{_symbols(named)} = {shape}" if named and shape else str(shape)
    want = f"{want} = {wanted_sizes}" if expect.dims else want
    return f"{subject} has shape {got}, expected {want}"


def _finite_message(subject: str, array: np.ndarray, reveal: bool) -> str:
    """'probs contains nan (3 of 40 entries)'; the count only when revealed."""
    kinds = [k for k, bad in (("nan", np.isnan(array)), ("inf", np.isinf(array))) if bad.any()]
    message = f"{subject} contains {' and '.join(kinds)}"
    if reveal and array.ndim:
        message += f" ({int((~np.isfinite(array)).sum())} of {array.size} entries)"
    return message


def _value_message(
    subject: str, array: np.ndarray, expected: Any, tol: Tolerance, reveal: bool
) -> str:
    """Name the worst entry with got/expected when revealed; only the failure when hidden."""
    if not reveal:
        return f"{subject} does not match the expected value{'s' if array.ndim else ''}"
    bounds = f"rtol={tol.rtol:g}, atol={tol.atol:g}"
    expected = np.asarray(expected, dtype=np.float64)
    if array.ndim == 0:
        return f"{subject} is {float(array):.6g}, expected {float(expected):.6g} ({bounds})"
    excess = np.abs(array - expected) - (tol.atol + tol.rtol * np.abs(expected))
    worst = np.unravel_index(int(np.argmax(excess)), array.shape)
    wrong = int((excess > 0).sum())
    return (
        f"{subject} is wrong at {wrong} of {array.size} entries; at index {list(map(int, worst))}"
        f" got {array[worst]:.6g}, expected {expected[worst]:.6g} ({bounds})"
    )
