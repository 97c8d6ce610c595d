"""Values as small tagged JSON trees plus ``.npy`` frames (never pickle).

The child encodes what a student function returned (:func:`encode_value`); the parent
rebuilds it (:func:`decode_value`), accepting exactly the shapes below and nothing else::

    {"k": "none"} {"k": "bool", "v": true} {"k": "int", "v": "12"}
    {"k": "float", "v": "0x1.8p+1"} {"k": "str", "v": "..."} {"k": "list"|"tuple", "v": [...]}
    {"k": "ndarray", "frame": 0}
    {"k": "tensor", "frame": 1, "dtype": "float64", "device": "cpu", "requires_grad": false}
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from .wire import UnsupportedDtypeError, WireError, array_to_frame, frame_to_array

MAX_DEPTH = 16
# The dtype and device names a tensor node may carry (torch's own spellings).
TENSOR_DTYPES = frozenset(
    ["bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64"]
    + ["float16", "bfloat16", "float32", "float64"]
)
TENSOR_DEVICE = re.compile(r"(?:cpu|cuda|mps|xpu|meta)(?::\d{1,2})?")


class UnsupportedValueError(Exception):
    """A value cannot be sent back; the message says what it was, for the student."""


TensorFactory = Callable[[np.ndarray, str, str, bool], Any]


def encode_value(value: Any, frames: list[bytes], depth: int = 0) -> dict:
    """Return the wire tree of ``value``, appending array frames to ``frames`` (child side).

    Accepts exactly: None, bool, int, float, str, NumPy scalars (sent as bool/int/float),
    np.ndarray (exact type), torch.Tensor (dense, exact type or nn.Parameter), and
    lists/tuples of those. Raises UnsupportedValueError naming what it got otherwise.
    """
    if depth > MAX_DEPTH:
        raise UnsupportedValueError(f"a value nested more than {MAX_DEPTH} levels deep")
    kind = type(value)
    if value is None:
        return {"k": "none"}
    if kind is bool:
        return {"k": "bool", "v": value}
    if kind is int:
        return {"k": "int", "v": str(value)}
    if kind is float:
        return {"k": "float", "v": value.hex()}
    if kind is str:
        return {"k": "str", "v": value}
    if kind in (list, tuple):
        try:
            items = [encode_value(item, frames, depth + 1) for item in value]
        except UnsupportedValueError as e:
            raise UnsupportedValueError(describe(value) if depth < MAX_DEPTH else str(e)) from None
        return {"k": kind.__name__, "v": items}
    if kind is np.ndarray:
        frames.append(_frame_of(value))
        return {"k": "ndarray", "frame": len(frames) - 1}
    if isinstance(value, np.generic) and kind in _NUMPY_SCALARS:
        return encode_value(value.item(), frames, depth)
    tensor = _encode_tensor(value, frames)
    if tensor is not None:
        return tensor
    raise UnsupportedValueError(describe(value))


_NUMPY_SCALARS = frozenset(
    [np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32]
    + [np.uint64, np.float16, np.float32, np.float64]
)


def _encode_tensor(value: Any, frames: list[bytes]) -> dict | None:
    torch = sys.modules.get("torch")  # only the torch runtime has it; never import it here
    if torch is None or not isinstance(value, torch.Tensor):
        return None
    if type(value) not in (torch.Tensor, torch.nn.Parameter):
        raise UnsupportedValueError(describe(value))
    if value.layout != torch.strided or value.is_quantized:
        raise UnsupportedValueError(f"a {value.layout} tensor (only dense tensors)")
    dtype = str(value.dtype).removeprefix("torch.")
    plain = value.detach().to("cpu")
    if dtype == "bfloat16":
        plain = plain.float()  # NumPy has no bfloat16; keep the name in ``dtype``
    frames.append(_frame_of(plain.resolve_conj().numpy()))
    return {
        "k": "tensor",
        "frame": len(frames) - 1,
        "dtype": dtype,
        "device": str(value.device),
        "requires_grad": bool(value.requires_grad),
    }


def _frame_of(array: np.ndarray) -> bytes:
    try:
        return array_to_frame(array)
    except UnsupportedDtypeError as e:
        raise UnsupportedValueError(str(e)) from None


def describe(value: Any) -> str:
    """Name a value's type the way a student reads it: 'a list of dicts', 'a MyArray'."""
    kind = type(value)
    if kind in (list, tuple) and value:
        inner = {type(v).__name__ for v in value}
        names = inner.pop() + "s" if len(inner) == 1 else "mixed values"
        return f"a {kind.__name__} of {names}"
    if isinstance(value, np.ndarray) and kind is not np.ndarray:
        return f"a {kind.__name__} (a subclass of numpy.ndarray)"
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        return f"a {kind.__name__} (a subclass of torch.Tensor)"
    return f"a {kind.__name__}"


def decode_value(tree: Any, frames: list[bytes], tensor: TensorFactory, depth: int = 0) -> Any:
    """Rebuild a value from its wire tree (parent side); raise WireError on anything else.

    ``tensor(array, dtype, device, requires_grad)`` builds the parent's tensor value
    (reference.pack.TensorValue), so this module imports nothing of the project.
    """
    if depth > MAX_DEPTH:
        raise WireError(f"value nested more than {MAX_DEPTH} levels deep")
    if type(tree) is not dict or type(tree.get("k")) is not str:
        raise WireError("value node is not a tagged object")
    kind, v = tree["k"], tree.get("v")
    if kind == "none":
        return None
    if kind == "bool" and type(v) is bool:
        return v
    if kind == "int" and type(v) is str and len(v) <= 400:
        return _parse(int, v)
    if kind == "float" and type(v) is str and len(v) <= 40:
        return _parse(float.fromhex, v)
    if kind == "str" and type(v) is str:
        return v
    if kind in ("list", "tuple") and type(v) is list:
        items = [decode_value(item, frames, tensor, depth + 1) for item in v]
        return items if kind == "list" else tuple(items)
    if kind == "ndarray":
        return frame_to_array(_frame(tree, frames))
    if kind == "tensor":
        return _decode_tensor(tree, frames, tensor)
    raise WireError(f"unknown or malformed value node {kind!r}")


def _decode_tensor(tree: dict, frames: list[bytes], tensor: TensorFactory) -> Any:
    dtype, device, grad = tree.get("dtype"), tree.get("device"), tree.get("requires_grad")
    if type(dtype) is not str or type(device) is not str or type(grad) is not bool:
        raise WireError("malformed tensor node")
    # Named in messages, hidden cases' too: only names torch gives, never free text.
    if dtype not in TENSOR_DTYPES or not TENSOR_DEVICE.fullmatch(device):
        raise WireError("malformed tensor node")
    return tensor(frame_to_array(_frame(tree, frames)), dtype, device, grad)


def _frame(tree: dict, frames: list[bytes]) -> bytes:
    index = tree.get("frame")
    if type(index) is not int or not 0 <= index < len(frames):
        raise WireError("value node points at a missing frame")
    return frames[index]


def _parse(parse: Callable[[str], Any], text: str) -> Any:
    try:
        return parse(text)
    except ValueError:
        raise WireError(f"malformed number {text[:40]!r}") from None
