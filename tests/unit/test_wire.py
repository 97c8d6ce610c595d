"""The wire format: framing, safe arrays, and the strict value tree (wire, values)."""

from __future__ import annotations

import io
import json
import math
import os
import struct
import time

import numpy as np
import pytest

from reference.pack import TensorValue
from worker.sandbox.child import values, wire


def roundtrip(value):
    frames: list[bytes] = []
    tree = values.encode_value(value, frames)
    tree = json.loads(json.dumps(tree))  # what actually travels is JSON
    return values.decode_value(tree, frames, TensorValue)


@pytest.mark.parametrize(
    "value",
    [None, True, False, 0, -7, 2**100, 1.5, -0.0, "héllo", [1, 2.5], (1, (2, [None]))],
)
def test_plain_values_survive_the_round_trip_with_their_types(value):
    got = roundtrip(value)
    assert got == value
    assert type(got) is type(value)


def test_non_finite_floats_survive_the_round_trip():
    got = roundtrip([math.inf, -math.inf, math.nan])
    assert got[0] == math.inf and got[1] == -math.inf and math.isnan(got[2])


@pytest.mark.parametrize(
    "array",
    [
        np.arange(6.0).reshape(2, 3),
        np.array(3.5),
        np.array([1, 2], dtype=np.int64),
        np.array([True, False]),
        np.arange(12.0).reshape(3, 4).T,  # not C-contiguous
        np.ones((2, 2), dtype=np.float32),
    ],
)
def test_arrays_survive_the_round_trip_with_shape_and_dtype(array):
    got = roundtrip(array)
    assert type(got) is np.ndarray
    assert got.shape == array.shape and got.dtype == array.dtype
    np.testing.assert_array_equal(got, array)


def test_numpy_scalars_arrive_as_python_numbers():
    got = roundtrip((np.float64(1.5), np.int64(3), np.bool_(True), np.float32(0.25)))
    assert got == (1.5, 3, True, 0.25)
    assert [type(v) for v in got] == [float, int, bool, float]


class MyArray(np.ndarray):
    pass


@pytest.mark.parametrize(
    ("value", "described"),
    [
        ({"a": 1}, "a dict"),
        ([{"a": 1}, {"b": 2}], "a list of dicts"),
        (np.zeros(3).view(MyArray), "a MyArray (a subclass of numpy.ndarray)"),
        (np.array([object()]), "an ndarray of dtype object"),
        ({1, 2}, "a set"),
        (1 + 2j, "a complex"),
    ],
)
def test_unsupported_results_are_refused_with_a_description(value, described):
    with pytest.raises(values.UnsupportedValueError) as info:
        values.encode_value(value, [])
    assert described in str(info.value)


class FloatSubclass(float):
    def __eq__(self, other):
        return True

    __hash__ = float.__hash__


def test_subclasses_of_plain_types_are_refused():
    with pytest.raises(values.UnsupportedValueError, match="FloatSubclass"):
        values.encode_value(FloatSubclass(1.0), [])


def test_tensor_nodes_are_built_by_the_given_factory():
    frames = [wire.array_to_frame(np.ones(2))]
    tree = {"k": "tensor", "frame": 0, "dtype": "float64", "device": "cpu", "requires_grad": True}
    got = values.decode_value(tree, frames, TensorValue)
    assert type(got) is TensorValue
    assert got.dtype == "float64" and got.requires_grad is True


def npy_bytes(array, allow_pickle=False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def test_an_object_array_frame_is_refused_without_unpickling():
    class Boom:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    frame = npy_bytes(np.array([Boom()], dtype=object), allow_pickle=True)
    with pytest.raises(wire.WireError, match="dtype object"):
        wire.frame_to_array(frame)


@pytest.mark.parametrize("shape", [(10**12,), (2**31, 2**31), (5, 5)])
def test_a_frame_that_declares_another_size_than_it_holds_is_refused_before_allocating(shape):
    header = npy_bytes(np.zeros(0)).split(b"{", 1)[0]
    described = f"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape!r}, }}"
    head = described.ljust(128 - len(header) - 1) + "\n"
    frame = header + head.encode() + b"\0" * 160  # 20 float64s: not what it says
    assert len(header + head.encode()) % 64 == 0
    with pytest.raises(wire.WireError, match="declares"):
        wire.frame_to_array(frame)


def test_a_reply_header_over_the_readers_cap_is_refused_before_it_is_parsed():
    r, w = os.pipe()
    try:
        wire.send(w, {"pad": [{}] * 1000})
        with pytest.raises(wire.WireTooLargeError, match="header"):
            wire.recv(r, 2**20, max_header=1000)
    finally:
        os.close(r)
        os.close(w)


def test_a_structured_array_frame_is_refused():
    frame = npy_bytes(np.zeros(2, dtype=[("a", "f8"), ("b", "i4")]))
    with pytest.raises(wire.WireError, match="dtype"):
        wire.frame_to_array(frame)


@pytest.mark.parametrize(
    "tree",
    [
        [1, 2],
        {"k": "float", "v": 1.5},  # floats travel as hex strings only
        {"k": "int", "v": 3},
        {"k": "bool", "v": 1},
        {"k": "ndarray", "frame": 5},
        {"k": "ndarray", "frame": True},
        {"k": "pickle", "v": "gASV"},
        {"k": "tensor", "frame": 0, "dtype": 1, "device": "cpu", "requires_grad": False},
        {"k": "float", "v": "not a number"},
    ],
)
def test_malformed_value_trees_are_refused(tree):
    with pytest.raises(wire.WireError):
        values.decode_value(tree, [wire.array_to_frame(np.ones(1))], TensorValue)


def test_deeply_nested_trees_are_refused():
    tree = {"k": "none"}
    for _ in range(values.MAX_DEPTH + 2):
        tree = {"k": "list", "v": [tree]}
    with pytest.raises(wire.WireError, match="nested"):
        values.decode_value(tree, [], TensorValue)


@pytest.fixture
def pipe():
    r, w = os.pipe()
    yield r, w
    for fd in (r, w):
        try:
            os.close(fd)
        except OSError:
            pass


def test_a_message_survives_the_pipe(pipe):
    r, w = pipe
    frames = [wire.array_to_frame(np.arange(3))]
    wire.send(w, {"op": "x", "n": 1}, frames)
    header, got = wire.recv(r, 1 << 20)
    assert header == {"op": "x", "n": 1}
    np.testing.assert_array_equal(wire.frame_to_array(got[0]), np.arange(3))


def test_a_message_over_the_size_cap_is_refused_before_its_payload_is_read(pipe):
    r, w = pipe
    # Announce a 1 GiB frame but send none of it: recv must refuse from the lengths alone.
    os.write(w, struct.pack("<4sII", wire.MAGIC, 2, 1) + struct.pack("<Q", 2**30))
    with pytest.raises(wire.WireError, match="exceeds the limit"):
        wire.recv(r, 64 * 2**20)


@pytest.mark.parametrize(
    "prefix_and_body",
    [
        (b"EVIL", b"{}"),
        (wire.MAGIC, b"[1, 2]"),
        (wire.MAGIC, b'{"a": NaN}'),
        (wire.MAGIC, b"\xff\xfe"),
    ],
)
def test_malformed_headers_are_refused(pipe, prefix_and_body):
    r, w = pipe
    magic, body = prefix_and_body
    os.write(w, struct.pack("<4sII", magic, len(body), 0) + body)
    with pytest.raises(wire.WireError):
        wire.recv(r, 1 << 20)


def test_reading_past_the_deadline_raises_a_timeout(pipe):
    r, _ = pipe
    os.set_blocking(r, False)
    with pytest.raises(wire.WireTimeoutError):
        wire.recv(r, 1 << 20, deadline=time.monotonic() + 0.05)


def test_a_closed_pipe_is_reported_as_closed(pipe):
    r, w = pipe
    os.close(w)
    with pytest.raises(wire.WireClosedError):
        wire.recv(r, 1 << 20)
