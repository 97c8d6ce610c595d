"""reference.compare: each layer in order, and hidden messages that reveal no numbers."""

from __future__ import annotations

import re

import numpy as np
import pytest

from reference.compare import Expect, compare, compare_form
from reference.pack import TensorValue, Tolerance

TOL = Tolerance(rtol=1e-7, atol=1e-10)
SIZES = {"N": 7, "K": 3, "D": 5}
DW = Expect("cross_entropy_grad", "dW", "numpy", TOL, dims=("K", "D"), sizes=SIZES)
LOSS = Expect("cross_entropy", "the loss", "numpy", TOL)
TORCH_PROBS = Expect(
    "softmax", "probs", "torch", TOL, ("N", "K"), SIZES, dtype="float32", device="cuda"
)


def tensor(array: np.ndarray, dtype: str = "float32", device: str = "cuda:0") -> TensorValue:
    return TensorValue(np.asarray(array), dtype, device)


def digits_in(message: str) -> list[str]:
    """Digits in a message, outside dtype names such as float32."""
    return re.findall(r"\d", re.sub(r"float\d+|int\d+", "", message))


class ArraySubclass(np.ndarray):
    """A subclass could override comparisons or arithmetic: never accepted."""


def test_matching_array_passes() -> None:
    expected = np.arange(15.0).reshape(3, 5)
    result = compare(expected.copy(), expected, DW, reveal=True)
    assert result.passed and result.layer == "ok" and result.message == ""


def test_none_is_reported_as_missing() -> None:
    result = compare(None, np.zeros((3, 5)), DW, reveal=True)
    assert result.layer == "missing"
    assert (
        result.message == "cross_entropy_grad: dW is None, expected a NumPy array of shape (K, D)"
    )


@pytest.mark.parametrize(
    ("got", "named"),
    [
        ([[0.0] * 5] * 3, "a list"),
        (np.zeros((3, 5)).view(ArraySubclass), "ArraySubclass"),
        (np.zeros((3, 5), dtype=complex), "dtype complex128"),
        (tensor(np.zeros((3, 5))), "TensorValue"),
    ],
)
def test_wrong_types_and_array_subclasses_are_rejected(got: object, named: str) -> None:
    result = compare(got, np.zeros((3, 5)), DW, reveal=True)
    assert result.layer == "type"
    assert named in result.message and "expected a NumPy array of shape (K, D)" in result.message


@pytest.mark.parametrize("got", [2.5, 2, np.float64(2.5), np.asarray(2.5)])
def test_numbers_and_zero_dim_arrays_are_accepted_for_scalars(got: object) -> None:
    assert compare(got, float(got), LOSS, reveal=True).passed


def test_bool_is_not_a_number() -> None:
    assert compare(True, 1.0, LOSS, reveal=True).layer == "type"


def test_torch_scalar_that_must_be_a_tensor_rejects_python_float() -> None:
    expect = Expect("cross_entropy", "the loss", "torch", TOL, number_ok=False)
    result = compare(2.5, 2.5, expect, reveal=True)
    assert result.layer == "type" and "expected a 0-dim tensor" in result.message
    assert compare(tensor(np.asarray(2.5), "float32", "cpu"), 2.5, expect, reveal=True).passed


def test_numpy_result_in_torch_pack_is_rejected() -> None:
    result = compare(np.zeros((7, 3)), np.zeros((7, 3)), TORCH_PROBS, reveal=True)
    assert result.layer == "type" and "expected a torch tensor" in result.message


def test_transposed_shape_is_named_with_symbols_and_sizes_when_visible() -> None:
    result = compare(np.zeros((5, 3)), np.zeros((3, 5)), DW, reveal=True)
    assert result.layer == "shape"
    assert (
        result.message
        == "cross_entropy_grad: dW has shape (D, K) = (5, 3), expected (K, D) = (3, 5)"
    )


def test_transposed_shape_has_no_sizes_when_hidden() -> None:
    result = compare(np.zeros((5, 3)), np.zeros((3, 5)), DW, reveal=False)
    assert result.message == "cross_entropy_grad: dW has shape (D, K), expected (K, D)"


def test_unnameable_shape_is_reported_without_sizes_when_hidden() -> None:
    result = compare(np.zeros(15), np.zeros((3, 5)), DW, reveal=False)
    assert result.message == "cross_entropy_grad: dW has the wrong shape, expected (K, D)"


def test_array_where_a_scalar_is_expected_fails_the_shape_layer() -> None:
    result = compare(np.zeros(7), 1.0, LOSS, reveal=False)
    assert result.layer == "shape" and "(N,)" not in result.message  # N is not among the sizes
    assert not digits_in(result.message)


def test_numpy_dtype_is_not_checked() -> None:
    expected = np.linspace(0, 1, 15).reshape(3, 5)
    got = expected.astype(np.float32)
    loose = Expect("cross_entropy_grad", "dW", "numpy", Tolerance(1e-4, 1e-6), ("K", "D"), SIZES)
    assert compare(got, expected, loose, reveal=True).passed


def test_torch_dtype_must_equal_the_input_dtype() -> None:
    result = compare(
        tensor(np.zeros((7, 3)), "float64"), np.zeros((7, 3)), TORCH_PROBS, reveal=False
    )
    assert result.layer == "dtype"
    assert result.message == "softmax: probs has dtype float64, expected float32 (the input's)"


@pytest.mark.parametrize(
    ("device", "layer"), [("cuda:0", "ok"), ("cuda:1", "ok"), ("cpu", "device")]
)
def test_torch_device_must_be_the_input_device_type(device: str, layer: str) -> None:
    result = compare(
        tensor(np.zeros((7, 3)), device=device), np.zeros((7, 3)), TORCH_PROBS, reveal=True
    )
    assert result.layer == layer


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_values_never_pass_even_when_expected_is_the_same(bad: float) -> None:
    got = np.full((3, 5), bad)
    result = compare(got, got.copy(), DW, reveal=True)
    assert result.layer == "finite"
    assert ("nan" if np.isnan(bad) else "inf") in result.message


def test_finite_message_counts_entries_only_when_visible() -> None:
    got = np.zeros((3, 5))
    got[0, 0] = np.nan
    assert compare(got, np.zeros((3, 5)), DW, reveal=True).message.endswith("(1 of 15 entries)")
    assert compare(got, np.zeros((3, 5)), DW, reveal=False).message == (
        "cross_entropy_grad: dW contains nan"
    )


def test_values_within_rtol_and_atol_pass_and_beyond_fail() -> None:
    expect = Expect("f", "x", "numpy", Tolerance(rtol=1e-3, atol=1e-6), ("N",), {"N": 2})
    expected = np.array([1.0, 0.0])
    assert compare(np.array([1.0009, 9e-7]), expected, expect, reveal=True).passed
    assert compare(np.array([1.0011, 0.0]), expected, expect, reveal=True).layer == "value"
    assert compare(np.array([1.0, 2e-6]), expected, expect, reveal=True).layer == "value"


def test_visible_value_message_names_the_worst_entry_with_got_and_expected() -> None:
    expected = np.arange(15.0).reshape(3, 5)
    got = expected.copy()
    got[1, 2] = 99.0
    message = compare(got, expected, DW, reveal=True).message
    assert message.startswith("cross_entropy_grad: dW is wrong at 1 of 15 entries")
    assert "[1, 2] got 99, expected 7" in message and "rtol=1e-07" in message


@pytest.mark.parametrize(
    ("got", "expected", "expect"),
    [
        (np.full((3, 5), 1.2345), np.full((3, 5), 0.5678), DW),
        (2.9860, 0.4321, LOSS),
    ],
)
def test_hidden_value_message_reveals_no_numbers(got, expected, expect) -> None:
    result = compare(got, expected, expect, reveal=False)
    assert result.layer == "value"
    assert not digits_in(result.message)
    assert "expected value" in result.message


def test_layers_run_in_order_shape_before_finite() -> None:
    assert compare(np.full((5, 3), np.nan), np.zeros((3, 5)), DW, reveal=True).layer == "shape"


def test_compare_form_checks_everything_but_the_value() -> None:
    assert compare_form(np.ones((3, 5)), (3, 5), DW, reveal=True).passed
    assert compare_form(np.full((3, 5), np.inf), (3, 5), DW, reveal=True).layer == "finite"


def test_actual_is_float64_for_diagnosis() -> None:
    result = compare(np.ones((3, 5), dtype=np.float32), np.zeros((3, 5)), DW, reveal=True)
    assert result.actual is not None and result.actual.dtype == np.float64
