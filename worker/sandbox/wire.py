"""Length-framed messages over pipes: a JSON header plus binary ``.npy`` frames.

Both sides use this module: the sandbox child (which imports nothing of the project but
this package's child-side modules) and the trusted parent. Nothing here ever pickles:
arrays travel as ``np.save`` bytes and are read back with ``allow_pickle=False``.

A message on the wire::

    b"SBX1" | u32 header length | u32 frame count | u64 length of each frame
    | header (UTF-8 JSON object) | frame 0 | frame 1 | ...

Values travel as a small tagged JSON tree (:func:`encode_value` / :func:`decode_value`):
``{"k": "float", "v": "0x1.8p+1"}``, ``{"k": "ndarray", "frame": 0}``, ...
"""

from __future__ import annotations

import io
import json
import os
import select
import struct
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

MAGIC = b"SBX1"
_PREFIX = struct.Struct("<4sII")
_FRAME_LEN = struct.Struct("<Q")
MAX_FRAMES = 4096
MAX_DEPTH = 16
ARRAY_KINDS = frozenset("biufc")  # bool, int, uint, float, complex: never object or void


class WireError(Exception):
    """A message is malformed, too large, or of an unexpected shape."""


class WireTimeoutError(WireError):
    """The other side did not finish a message before the deadline."""


class WireClosedError(WireError):
    """The other side closed the pipe (usually: the process died)."""


class UnsupportedValueError(Exception):
    """A value cannot be sent back; the message says what it was, for the student."""


# ---------------------------------------------------------------- framing


def pack_message(header: dict, frames: list[bytes]) -> bytes:
    """Return the bytes of one message (header: a JSON-serialisable dict)."""
    head = json.dumps(header, allow_nan=False, separators=(",", ":")).encode()
    lengths = b"".join(_FRAME_LEN.pack(len(f)) for f in frames)
    return b"".join([_PREFIX.pack(MAGIC, len(head), len(frames)), lengths, head, *frames])


def send(fd: int, header: dict, frames: list[bytes] = (), deadline: float | None = None) -> None:
    """Write one message to ``fd``; with a deadline (time.monotonic) the fd must be non-blocking."""
    data = memoryview(pack_message(header, list(frames)))
    while data:
        if deadline is not None:
            _wait(fd, deadline, write=True)
        try:
            n = os.write(fd, data)
        except BlockingIOError:
            continue
        except BrokenPipeError as e:
            raise WireClosedError("the other side closed the pipe") from e
        data = data[n:]


def recv(fd: int, max_bytes: int, deadline: float | None = None) -> tuple[dict, list[bytes]]:
    """Read one message from ``fd``: (header dict, frames); refuse more than ``max_bytes``."""
    magic, head_len, n_frames = _PREFIX.unpack(_read_exact(fd, _PREFIX.size, deadline))
    if magic != MAGIC:
        raise WireError("bad message prefix")
    if n_frames > MAX_FRAMES:
        raise WireError(f"too many frames ({n_frames} > {MAX_FRAMES})")
    raw = _read_exact(fd, _FRAME_LEN.size * n_frames, deadline) if n_frames else b""
    lengths = [_FRAME_LEN.unpack_from(raw, i * _FRAME_LEN.size)[0] for i in range(n_frames)]
    total = head_len + sum(lengths)
    if total > max_bytes:
        raise WireError(f"message of {total} bytes exceeds the limit of {max_bytes} bytes")
    header = parse_header(_read_exact(fd, head_len, deadline))
    frames = [_read_exact(fd, n, deadline) for n in lengths]
    return header, frames


def parse_header(raw: bytes) -> dict:
    """Parse a JSON header; it must be an object (NaN and Infinity are refused)."""
    try:
        header = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise WireError(f"header is not valid JSON: {e}") from None
    if type(header) is not dict:
        raise WireError("header is not a JSON object")
    return header


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _read_exact(fd: int, n: int, deadline: float | None) -> bytes:
    chunks, remaining = [], n
    while remaining:
        if deadline is not None:
            _wait(fd, deadline, write=False)
        try:
            chunk = os.read(fd, min(remaining, 1 << 20))
        except BlockingIOError:
            continue
        if not chunk:
            raise WireClosedError("the other side closed the pipe")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _wait(fd: int, deadline: float, write: bool) -> None:
    timeout = deadline - time.monotonic()
    if timeout <= 0:
        raise WireTimeoutError("deadline passed")
    r, w, _ = select.select([] if write else [fd], [fd] if write else [], [], timeout)
    if not (r or w):
        raise WireTimeoutError("deadline passed")


# ---------------------------------------------------------------- arrays


def array_to_frame(array: np.ndarray) -> bytes:
    """Serialise an array of a numeric or bool dtype as ``.npy`` bytes (no pickle)."""
    if array.dtype.kind not in ARRAY_KINDS:
        raise UnsupportedValueError(f"an ndarray of dtype {array.dtype}")
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def frame_to_array(frame: bytes) -> np.ndarray:
    """Parse ``.npy`` bytes into an exact np.ndarray of a numeric or bool dtype."""
    try:
        array = np.load(io.BytesIO(frame), allow_pickle=False)
    except Exception as e:  # noqa: BLE001 - any parse failure is the sender's fault
        raise WireError(f"frame is not a valid .npy array: {e}") from None
    if type(array) is not np.ndarray or array.dtype.kind not in ARRAY_KINDS:
        raise WireError(f"frame holds an array of dtype {array.dtype}; numeric or bool only")
    if array.dtype.fields is not None or array.dtype.subdtype is not None:
        raise WireError("frame holds a structured array")
    return array


# ---------------------------------------------------------------- values

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
        frames.append(array_to_frame(value))
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
    frames.append(array_to_frame(plain.resolve_conj().numpy()))
    return {
        "k": "tensor",
        "frame": len(frames) - 1,
        "dtype": dtype,
        "device": str(value.device),
        "requires_grad": bool(value.requires_grad),
    }


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
    if len(dtype) > 32 or len(device) > 32:
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
