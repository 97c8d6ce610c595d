"""Length-framed messages over pipes: a JSON header plus binary ``.npy`` frames.

Both sides use this module: the sandbox child (which imports nothing of the project but
this package's child-side modules) and the trusted parent. Nothing here ever pickles:
arrays travel as ``np.save`` bytes and are read back with ``allow_pickle=False``.

A message on the wire::

    b"SBX1" | u32 header length | u32 frame count | u64 length of each frame
    | header (UTF-8 JSON object) | frame 0 | frame 1 | ...

Values inside a header travel as the tagged trees of :mod:`.values`.
"""

from __future__ import annotations

import io
import json
import math
import os
import select
import struct
import time
from typing import Any

import numpy as np

MAGIC = b"SBX1"
_PREFIX = struct.Struct("<4sII")
_FRAME_LEN = struct.Struct("<Q")
MAX_FRAMES = 4096
ARRAY_KINDS = frozenset("biufc")  # bool, int, uint, float, complex: never object or void


class WireError(Exception):
    """A message is malformed, too large, or of an unexpected shape."""


class WireTimeoutError(WireError):
    """The other side did not finish a message before the deadline."""


class WireClosedError(WireError):
    """The other side closed the pipe (usually: the process died)."""


class WireTooLargeError(WireError):
    """A message (or its JSON header) is larger than the reader accepts; nothing of it was
    parsed, and the rest of it is still unread on the pipe."""


class UnsupportedDtypeError(ValueError):
    """An array of a dtype that never travels (object, structured, ...)."""


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


def recv(
    fd: int, max_bytes: int, deadline: float | None = None, max_header: int | None = None
) -> tuple[dict, list[bytes]]:
    """Read one message from ``fd``: (header dict, frames); refuse more than ``max_bytes``
    in all, or a JSON header over ``max_header`` bytes (before reading either)."""
    magic, head_len, n_frames = _PREFIX.unpack(_read_exact(fd, _PREFIX.size, deadline))
    if magic != MAGIC:
        raise WireError("bad message prefix")
    if n_frames > MAX_FRAMES:
        raise WireError(f"too many frames ({n_frames} > {MAX_FRAMES})")
    if max_header is not None and head_len > max_header:
        raise WireTooLargeError(
            f"a header of {head_len} bytes, which exceeds the limit of {max_header} bytes"
        )
    raw = _read_exact(fd, _FRAME_LEN.size * n_frames, deadline) if n_frames else b""
    lengths = [_FRAME_LEN.unpack_from(raw, i * _FRAME_LEN.size)[0] for i in range(n_frames)]
    total = head_len + sum(lengths)
    if total > max_bytes:
        raise WireTooLargeError(
            f"a message of {total} bytes, which exceeds the limit of {max_bytes} bytes"
        )
    header = parse_header(_read_exact(fd, head_len, deadline))
    frames = [_read_exact(fd, n, deadline) for n in lengths]
    return header, frames


def parse_header(raw: bytes) -> dict:
    """Parse a JSON header; it must be an object (NaN and Infinity are refused)."""
    try:
        header = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError, MemoryError) as e:
        raise WireError(f"header is not valid JSON: {type(e).__name__}") from None
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
        raise UnsupportedDtypeError(f"an ndarray of dtype {array.dtype}")
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def frame_to_array(frame: bytes) -> np.ndarray:
    """Parse ``.npy`` bytes into an exact np.ndarray of a numeric or bool dtype.

    The header's declared dtype and shape are checked against the bytes that follow before
    anything is allocated: a frame cannot declare more than it holds.
    """
    declared_frame(frame)
    try:
        array = np.load(io.BytesIO(frame), allow_pickle=False)
    except Exception as e:  # noqa: BLE001 - any parse failure is the sender's fault
        raise WireError(f"frame is not a valid .npy array: {e}") from None
    if type(array) is not np.ndarray:  # a ZIP frame loads as an NpzFile
        raise WireError(f"frame holds {type(array).__name__}, not one .npy array")
    if array.dtype.kind not in ARRAY_KINDS:
        raise WireError(f"frame holds an array of dtype {array.dtype}; numeric or bool only")
    if array.dtype.fields is not None or array.dtype.subdtype is not None:
        raise WireError("frame holds a structured array")
    return array


NPY_HEADER_MAX = 4096


def declared_frame(frame: bytes) -> tuple[tuple[int, ...], np.dtype]:
    """The (shape, dtype) a ``.npy`` frame declares; WireError unless its data is exactly
    that many bytes of a numeric or bool dtype."""
    fp = io.BytesIO(frame)
    fmt = np.lib.format
    try:
        version = fmt.read_magic(fp)
        if version not in ((1, 0), (2, 0)):
            raise ValueError(f"version {version}")
        read = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
        shape, _, dtype = read(fp, max_header_size=NPY_HEADER_MAX)
    except Exception as e:  # noqa: BLE001 - any parse failure is the sender's fault
        raise WireError(f"frame is not a valid .npy array: {type(e).__name__}") from None
    if dtype.kind not in ARRAY_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise WireError(f"frame holds an array of dtype {dtype}; numeric or bool only")
    if any(type(n) is not int or n < 0 for n in shape):
        raise WireError("frame declares a malformed shape")
    declared = math.prod(shape) * dtype.itemsize
    if declared != len(frame) - fp.tell():
        held = len(frame) - fp.tell()
        raise WireError(f"frame declares {shape} {dtype} ({declared} bytes) but holds {held}")
    return shape, dtype
