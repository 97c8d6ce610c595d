"""Parent side: turn the child's replies into validated Observations and ImportOutcomes.

Everything the child sends is untrusted: each field is checked for its exact type and
size, values are rebuilt by :func:`.values.decode_value`, and anything else becomes a
``bad_result`` observation with a sentence saying why.
"""

from __future__ import annotations

import signal
from collections.abc import Sequence
from typing import Any

from reference.pack import Observation, TensorArg, TensorValue

from ..child import values, wire
from .api import CallSpec, ChunkError, ImportOutcome
from .zygote_client import Exit

MAX_TEXT = 8000
MAX_NAMES = 1000
MAX_CALL_OUTPUT = 64 * 1024  # characters of one call's output kept in its Observation
CALL_STATUSES = frozenset(
    {"ok", "missing", "exception", "memory_limit", "forbidden", "bad_result", "bad_signature"}
)
CHUNK_STATUSES = frozenset({"ok", "exception", "memory_limit", "forbidden"})


class ReplyError(Exception):
    """A reply from the child is not of the expected shape."""


def encode_kwargs(kwargs: dict[str, Any]) -> tuple[dict, list[bytes]]:
    """Encode call inputs for the child: arrays, TensorArg, int, float, bool."""
    frames: list[bytes] = []
    tree = {name: encode_input(value, frames) for name, value in kwargs.items()}
    return tree, frames


def encode_input(value: Any, frames: list[bytes]) -> dict:
    """The wire tree of a value we send in: TensorArg (the child builds a tensor), lists
    and tuples of inputs, or a plain value (:func:`.values.encode_value`)."""
    if isinstance(value, TensorArg):
        frames.append(wire.array_to_frame(value.array))
        return {"k": "tensor_arg", "frame": len(frames) - 1, "requires_grad": value.requires_grad}
    if type(value) in (list, tuple):
        items = [encode_input(item, frames) for item in value]
        return {"k": type(value).__name__, "v": items}
    return values.encode_value(value, frames)


def observation(call: CallSpec, reply: dict, frames: list[bytes], ms: float) -> Observation:
    """Build the Observation of ``call`` from the child's reply (never raises)."""
    try:
        return _observation(call, reply, frames, ms)
    except (ReplyError, wire.WireError) as e:
        return Observation(
            status="bad_result", error=f"{call.function} sent back {e}", duration_ms=ms
        )
    except Exception as e:  # noqa: BLE001 - whatever breaks reading a reply is the sender's
        error = f"{call.function} sent back a reply that cannot be read ({type(e).__name__})"
        return Observation(status="bad_result", error=error, duration_ms=ms)


def _observation(call: CallSpec, reply: dict, frames: list[bytes], ms: float) -> Observation:
    if reply.get("op") != "result" or reply.get("call_id") != call.call_id:
        raise ReplyError("a reply that does not answer this call")
    status = reply.get("status")
    if status not in CALL_STATUSES:
        raise ReplyError(f"an unknown status {str(status)[:40]!r}")
    error = text(reply.get("error", ""))
    forbidden = names(reply.get("forbidden", []))
    output = call_output(reply)
    if status != "ok":
        return Observation(
            status=status, error=error, forbidden=forbidden, duration_ms=ms, output=output
        )
    if call.probe.kind == "variable":
        from .variable_replies import variables  # it imports this module

        found = variables(call, reply.get("variables"), frames)
        return Observation("ok", found, error=error, duration_ms=ms, output=output)
    value = values.decode_value(reply.get("value"), frames, TensorValue)
    mutated = tuple(n for n in names(reply.get("mutated", [])) if n in call.kwargs)
    grad = reply.get("grad")
    grad = None if grad is None else values.decode_value(grad, frames, TensorValue)
    if grad is not None and type(grad) is not TensorValue:
        raise ReplyError("a gradient that is not a tensor")
    return Observation("ok", value, mutated, grad, error=error, duration_ms=ms, output=output)


def call_output(reply: dict) -> str:
    """What one call printed, capped, with a note of what was dropped ('' if malformed)."""
    kept, dropped = reply.get("output", ""), reply.get("dropped", 0)
    if type(kept) is not str or type(dropped) is not int or dropped < 0:
        return ""
    dropped += max(len(kept) - MAX_CALL_OUTPUT, 0)
    note = f"\n[... {dropped} more characters of output dropped]" if dropped else ""
    return kept[:MAX_CALL_OUTPUT] + note


def chunk_reply(reply: dict, index: int) -> tuple[str, tuple[str, ...], str, int | None]:
    """Validate one chunk report: (status, defined names, error text, line or None)."""
    if reply.get("op") != "chunk" or reply.get("index") != index:
        raise ReplyError("a chunk report out of order")
    status = reply.get("status")
    if status not in CHUNK_STATUSES:
        raise ReplyError(f"an unknown chunk status {str(status)[:40]!r}")
    line = reply.get("line")
    if line is not None and type(line) is not int:
        raise ReplyError("a line number that is not an int")
    return status, names(reply.get("defined", [])), text(reply.get("error", "")), line


def text(value: Any) -> str:
    """A string field, capped in length."""
    if type(value) is not str:
        raise ReplyError("a text field that is not a string")
    return value if len(value) <= MAX_TEXT else value[:MAX_TEXT] + " ... (truncated)"


def names(value: Any) -> tuple[str, ...]:
    """A list of short identifier-like strings."""
    if type(value) is not list or len(value) > MAX_NAMES:
        raise ReplyError("a list of names that is not a list")
    if not all(type(v) is str and len(v) <= 200 for v in value):
        raise ReplyError("a list of names with a non-string entry")
    return tuple(value)


def died(exit: Exit | None, cpu_s: int) -> tuple[str, str]:
    """(status, message) for a child that ended during a call or chunk."""
    if exit is None:
        return "crashed", "the sandbox process stopped answering"
    if exit.signal == signal.SIGXCPU:
        return "timeout", f"used more than {cpu_s} s of CPU time in total"
    if exit.signal is not None:
        name = _signal_name(exit.signal)
        return "crashed", f"the process crashed ({name})"
    return "crashed", f"the process exited with code {exit.code} (os._exit or similar)"


def _signal_name(number: int) -> str:
    try:
        sig = signal.Signals(number)
    except ValueError:
        return f"signal {number}"
    described = signal.strsignal(sig) or sig.name
    return f"{sig.name}: {described.lower()}"


def import_outcome(
    status: str,
    defined: tuple[str, ...],
    failed: int | None,
    error: str,
    line: int | None,
    raised: Sequence[ChunkError] = (),
) -> ImportOutcome:
    """An ImportOutcome; ``defined`` keeps only the names, in order, without duplicates."""
    return ImportOutcome(
        status=status,
        defined=tuple(dict.fromkeys(defined)),
        failed_chunk=failed,
        error=error,
        line=line,
        raised=tuple(raised),
    )
