"""Child side: run the student's chunks, then serve calls one at a time over the pipes.

Protocol (messages of :mod:`.wire`; the parent speaks first):

- ``{"op": "chunks", "chunks": [...], "forbidden": {...}, "device", "output_bytes",
  "result_bytes", "support": {module name: source}}``
  -> one ``{"op": "chunk", "index": i, "status": ..., "defined": [...], ...}`` per chunk,
  every chunk run: one that raises is reported and the next still runs (the spec's untidy
  files: a crashing check cell must not stop later definitions from being graded).
- ``{"op": "call", "call_id", "function", "kwargs": tree, "positional": [names], "probe":
  {...}, "substitutes", "oracle_calls"}`` + input frames
  -> ``{"op": "result", "status", "value": tree, "mutated", "grad", "error", ...}``; for a
  probe of kind "variable", ``"variables": {name: description}`` (see :mod:`.variables`).
  During a call with ``substitutes``, each may be preceded by exchanges started here:
  ``{"op": "oracle", "call_id", "name", "args": [tree], "kwargs": {name: tree}}`` + frames
  -> ``{"op": "oracle_result", "value": tree}`` + frames, or ``{"op": "oracle_error",
  "message"}``.
- ``{"op": "exit"}`` -> the child exits.

Student code runs only here, in one fresh module namespace named ``submission``. During a
call with substitutes, those names are bound in it to the proxies of :mod:`.proxies`.
"""

from __future__ import annotations

import sys
import time
import types
from typing import Any

import numpy as np

from . import calling, capture, proxies, support, values, variables, wire
from .guard import ForbiddenCallError, Guard

STUDENT_MODULE = "submission"


class Harness:
    """The state of one child: the student's namespace, guard, output buffer and pipes."""

    def __init__(self, rfd: int, wfd: int, max_message: int) -> None:
        self.rfd, self.wfd, self.max_message = rfd, wfd, max_message
        self.module = types.ModuleType(STUDENT_MODULE)
        self.files: dict[str, capture.ChunkFile] = {}
        self.guard = Guard((), (), ())
        self.output = capture.BoundedOutput(64 * 1024)
        self.device = "cpu"
        self.result_bytes = 64 * 2**20
        self.lending = proxies.Lending(rfd, wfd, max_message, self._input)

    def serve(self) -> None:
        """Answer messages until the parent says exit or closes the pipe."""
        while True:
            try:
                header, frames = wire.recv(self.rfd, self.max_message)
            except wire.WireClosedError:
                return
            op = header.get("op")
            if op == "chunks":
                self.run_chunks(header)
            elif op == "call":
                wire.send(self.wfd, *self.call(header, frames))
            else:
                return

    # ------------------------------------------------------------ chunks

    def run_chunks(self, header: dict) -> None:
        """Run every chunk in order, reporting after each, whether or not it raised."""
        forbidden = header.get("forbidden", {})
        self.guard = Guard(
            tuple(forbidden.get("modules", ())),
            tuple(forbidden.get("calls", ())),
            tuple(forbidden.get("methods", ())),
            forbidden.get("reason", ""),
            tuple(tuple(pair) for pair in forbidden.get("aliases", ())),
        )
        self.guard.install()
        self.device = header.get("device", "cpu")
        self.result_bytes = int(header.get("result_bytes", self.result_bytes))
        self.lending.max_bytes = self.result_bytes
        self.output = capture.BoundedOutput(int(header.get("output_bytes", 64 * 1024)))
        sys.stdout = sys.stderr = self.output
        capture.show_warnings_at_student_lines(self.files)
        sys.modules[STUDENT_MODULE] = self.module
        support.install(header.get("support"))
        self.module.__dict__["__builtins__"] = __builtins__
        for index, chunk in enumerate(header["chunks"]):
            if index and chunk["origin"] != header["chunks"][index - 1]["origin"]:
                capture.discard_plots()  # a new cell: as in Jupyter, a figure lives one cell
            wire.send(self.wfd, self.run_chunk(index, chunk))
        capture.discard_plots()

    def run_chunk(self, index: int, chunk: dict) -> dict:
        """Compile and run one chunk in the student namespace; return its report."""
        name = capture.chunk_filename(index)
        code = chunk["code"]
        self.files[name] = capture.ChunkFile(
            chunk["origin"], int(chunk.get("first_line", 1)), tuple(code.splitlines())
        )
        status, error, line = "ok", "", None
        try:
            exec(compile(code, name, "exec"), self.module.__dict__)  # noqa: S102 - sandboxed child
        except BaseException as e:  # noqa: BLE001 - SystemExit at import is the student's too
            status = _import_status(e)
            error, line = capture.format_student_error(e, self.files)
        text, dropped = self.output.take()
        return {
            "op": "chunk",
            "index": index,
            "status": status,
            "defined": self.defined(),
            "error": error,
            "line": line,
            "output": text,
            "dropped": dropped,
        }

    def defined(self) -> list[str]:
        """Names of the callables defined at the top level of the submission so far."""
        names = []
        for key, value in list(self.module.__dict__.items()):
            if not isinstance(key, str) or key.startswith("__"):
                continue
            if callable(value) and not isinstance(value, types.ModuleType):
                names.append(key)
        return names

    # ------------------------------------------------------------ calls

    def call(self, header: dict, frames: list[bytes]) -> tuple[dict, list[bytes]]:
        """Make one call as asked and return the reply message (header, frames)."""
        started = time.perf_counter()
        reply: dict[str, Any] = {"op": "result", "call_id": header.get("call_id")}
        out_frames: list[bytes] = []
        try:
            reply.update(self._call(header, frames, out_frames))
        except MemoryError:
            reply.update(status="memory_limit", error="MemoryError: ran out of memory")
            out_frames.clear()
        reply["duration_ms"] = (time.perf_counter() - started) * 1000
        reply["output"], reply["dropped"] = self.output.take()
        return reply, out_frames

    def _call(self, header: dict, frames: list[bytes], out: list[bytes]) -> dict:
        if header.get("probe", {}).get("kind") == "variable":
            namespace = self.module.__dict__
            return variables.reply(namespace, header, self.guard, out, self.result_bytes)
        function = self.module.__dict__.get(header["function"])
        if not callable(function):
            return {"status": "missing", "error": f"{header['function']} is not defined"}
        kwargs = {k: self._input(v, frames) for k, v in header["kwargs"].items()}
        before = {k: _snapshot(v) for k, v in kwargs.items()}
        probe = header.get("probe", {})
        args, named = calling.split(kwargs, header.get("positional", ()))
        result, error, unfit = None, None, None
        with self.guard.student_call() as hits, self.lending.lent(self.module.__dict__, header):
            try:
                unfit = calling.mismatch(function, args, named)
                if unfit is None:
                    result = function(*args, **named)
            except BaseException as e:  # noqa: BLE001 - whatever the student raised
                error = e
        if hits:
            names = list(hits)
            return {"status": "forbidden", "forbidden": names, "error": self._forbidden_text(names)}
        if unfit is not None:
            return {"status": "bad_signature", "error": f"{header['function']}{unfit}"}
        if error is not None and out_of_memory(error):
            return {"status": "memory_limit", "error": capture.exception_line(error)}
        if error is not None:
            text, _ = capture.format_student_error(error, self.files)
            return {"status": "exception", "error": text}
        reply = self._grad(result, kwargs, probe, out) if probe.get("kind") == "grad" else {}
        mutated = [k for k, v in kwargs.items() if before[k] is not None and _changed(before[k], v)]
        try:
            value = values.encode_value(result, out)
        except values.UnsupportedValueError as e:
            out.clear()
            return {"status": "bad_result", "error": _unsupported_text(header["function"], e)}
        except Exception as e:  # noqa: BLE001 - e.g. a tensor that refuses .numpy()
            out.clear()
            return {"status": "bad_result", "error": f"result cannot be sent back: {e}"}
        size = sum(len(f) for f in out)
        if size > self.result_bytes:
            out.clear()
            mib = size / 2**20
            return {"status": "bad_result", "error": f"result too large ({mib:.1f} MiB)"}
        return {"status": "ok", "value": value, "mutated": mutated, **reply}

    def _grad(self, result: Any, kwargs: dict, probe: dict, out: list[bytes]) -> dict:
        """Grader code, guard off: ``result.backward()`` and the grad of input ``wrt``."""
        wrt = kwargs.get(probe.get("wrt"))
        try:
            result.backward()
        except Exception as e:  # noqa: BLE001 - e.g. the result does not require grad
            return {"grad": None, "error": f"backward() failed: {capture.exception_line(e)}"}
        grad = getattr(wrt, "grad", None)
        return {"grad": None if grad is None else values.encode_value(grad.detach(), out)}

    def _input(self, tree: Any, frames: list[bytes], device: str | None = None) -> Any:
        """Build a value the parent sent: arrays, tensors (on ``device``, by default the
        job's), scalars, and lists/tuples of those."""
        kind = tree.get("k") if type(tree) is dict else None
        if kind == "tensor_arg":
            torch = sys.modules["torch"]
            array = wire.frame_to_array(frames[tree["frame"]])
            tensor = torch.as_tensor(array).to(device or self.device)
            return tensor.requires_grad_(True) if tree.get("requires_grad") else tensor
        if kind in ("list", "tuple") and type(tree.get("v")) is list:
            items = [self._input(item, frames, device) for item in tree["v"]]
            return items if kind == "list" else tuple(items)
        return values.decode_value(tree, frames, _no_tensor)

    def _forbidden_text(self, names: list[str]) -> str:
        reason = f" ({self.guard.reason})" if self.guard.reason else ""
        return f"used {', '.join(names)}, which is forbidden in this assignment{reason}"


def _import_status(error: BaseException) -> str:
    if isinstance(error, ForbiddenCallError):
        return "forbidden"
    if out_of_memory(error):
        return "memory_limit"
    return "exception"


def out_of_memory(error: BaseException) -> bool:
    """MemoryError, or torch's allocator failing (a RuntimeError) under RLIMIT_AS or past
    the child's CUDA memory cap (torch.OutOfMemoryError: 'CUDA out of memory')."""
    if isinstance(error, MemoryError):
        return True
    if not isinstance(error, RuntimeError):
        return False
    line = capture.exception_line(error)
    return "can't allocate memory" in line or "CUDA out of memory" in line


def _unsupported_text(function: str, error: values.UnsupportedValueError) -> str:
    return (
        f"{function} returned {error}, which cannot be sent back for checking: return "
        "arrays/tensors, numbers, or tuples/lists of those"
    )


def _no_tensor(*args: Any) -> Any:
    raise wire.WireError("tensor values are not inputs; use tensor_arg")


def _snapshot(value: Any) -> np.ndarray | None:
    """A copy of an array/tensor input's contents, to detect in-place changes."""
    if type(value) is np.ndarray:
        return value.copy()
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        return value.detach().to("cpu", copy=True).numpy()
    return None


def _changed(before: np.ndarray, value: Any) -> bool:
    now = _snapshot(value)
    if now is None or now.shape != before.shape or now.dtype != before.dtype:
        return True
    return not np.array_equal(now, before, equal_nan=before.dtype.kind in "fc")
