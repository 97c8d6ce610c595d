"""Parent side: run one SandboxRequest on children of a zygote.

The chunks run once; then each call is sent with its own wall-clock deadline. When a call
times out or its child dies, that call gets its status, the child is killed, and a fresh
child re-runs the chunks that ran before (so one bad function costs only its own points)
before the remaining calls go on. A function whose call timed out is not called again in
this run: its remaining calls are ``timeout`` at once, "timed out earlier" (so an endless
loop costs one limit, not one per case). The whole submission also has a wall budget.

While a call with substitutes runs, the child may ask for reference helpers
(:mod:`.oracle`); they are answered in the same wait, against the call's deadline, so
their time counts toward the call's limit. Hidden calls keep their output out of the
report's and get their error texts scrubbed (:mod:`.hidden`).
"""

from __future__ import annotations

import select
import time
from typing import NamedTuple

from reference.pack import Observation

from ..child import wire
from . import hidden, oracle, replies
from .api import (
    TIMED_OUT_EARLIER,
    CallSpec,
    ChunkError,
    ImportOutcome,
    SandboxInfrastructureError,
    SandboxReport,
    SandboxRequest,
)
from .zygote_client import Child, ZygoteClient

CHUNK_REPLY_MAX = 4 * 2**20
# A reply's JSON header: its output, error texts and value tree (arrays travel as frames).
# Parsing JSON costs tens of times its size in memory, so it is capped small.
REPLY_HEADER_MAX = 2**20
EXIT_WAIT_S = 10.0
READY_S = 60.0  # fork + confinement; generous for a loaded machine


class Lost(NamedTuple):
    """The child hung, died or sent garbage (it is gone): status and message."""

    status: str
    message: str


class Session:
    """The state of one submission's run: its current child and what it has seen."""

    def __init__(self, zygote: ZygoteClient, request: SandboxRequest, spawn: dict) -> None:
        self.zygote, self.request, self.spawn = zygote, request, spawn
        self.limits = request.limits
        self.child: Child | None = None
        self.replay = 0  # chunks a fresh child re-runs before serving calls
        self.defined: tuple[str, ...] = ()
        self.output = _Output(self.limits.output_bytes)
        self.wall_deadline = 0.0
        self.timed_out: set[str] = set()  # functions not to call again

    def run(self) -> SandboxReport:
        """Run the chunks, then every call; return the report."""
        started = time.monotonic()
        self.wall_deadline = started + self.limits.wall_s
        try:
            imported = self._import()
            observations = {call.call_id: self._call(call) for call in self.request.calls}
        finally:
            self._end_child()
        ms = (time.monotonic() - started) * 1000
        return SandboxReport(imported, observations, self.output.text(), ms)

    # ------------------------------------------------------------ chunks

    def _import(self) -> ImportOutcome:
        chunks = self.request.chunks
        self._spawn()
        deadline = min(time.monotonic() + self.limits.import_s, self.wall_deadline)
        defined: tuple[str, ...] = ()
        raised: list[ChunkError] = []  # chunks that raised; the next ones still ran
        for index, reply in enumerate(self._run_chunks(len(chunks), deadline)):
            if isinstance(reply, Lost):  # the child hung or died at this chunk
                self.replay = index
                self.defined = defined
                error = reply.message
                if reply.status == "timeout":
                    error = f"running {chunks[index].origin} did not finish in time"
                    error += f" ({self.limits.import_s:g} s): an endless loop at import?"
                return replies.import_outcome(reply.status, defined, index, error, None, raised)
            status, defined, error, line = reply
            if status != "ok":  # a fresh child replays it: it raises again, the same way
                raised.append(ChunkError(index, status, error, line))
        self.replay = len(chunks)
        self.defined = defined
        return replies.import_outcome("ok", defined, None, "", None, raised)

    def _run_chunks(self, count: int, deadline: float, keep_output: bool = True):
        """Send the first ``count`` chunks; yield each chunk's validated report in turn.

        Yields (status, defined, error, line) per chunk, or a :class:`Lost` once if the
        child hangs, dies or sends garbage at that chunk (it is then gone).
        """
        message = {
            "op": "chunks",
            "chunks": [vars(c) for c in self.request.chunks[:count]],
            "forbidden": vars(self.request.forbidden),
            "device": self.request.device,
            "output_bytes": self.limits.output_bytes,
            "result_bytes": self.limits.result_bytes,
            "support": dict(self.request.support),
        }
        try:
            wire.send(self.child.request_fd, message, (), deadline)
        except wire.WireError as e:
            yield self._lost(e, "running the file")
            return
        for index in range(count):
            try:
                reply, _ = wire.recv(
                    self.child.reply_fd, CHUNK_REPLY_MAX, deadline, REPLY_HEADER_MAX
                )
                report = replies.chunk_reply(reply, index)
            except (wire.WireError, replies.ReplyError) as e:
                origin = self.request.chunks[index].origin
                yield self._lost(e, f"running {origin}")
                return
            if keep_output:
                self.output.add(reply)
            yield report

    def _restart(self) -> bool:
        """Start a fresh child that re-runs the chunks that ran before; False if it fails."""
        self._spawn()
        deadline = min(time.monotonic() + self.limits.import_s, self.wall_deadline)
        for report in self._run_chunks(self.replay, deadline, keep_output=False):
            if isinstance(report, Lost):
                return False
        return True

    # ------------------------------------------------------------ calls

    def _call(self, call: CallSpec) -> Observation:
        if call.function in self.timed_out:
            return Observation("timeout", error=f"{call.function} {TIMED_OUT_EARLIER}")
        observation = self._observe(call)
        if observation.status == "timeout":
            self.timed_out.add(call.function)
        return hidden.scrub(observation) if call.hidden else observation

    def _observe(self, call: CallSpec) -> Observation:
        if time.monotonic() >= self.wall_deadline:
            return Observation("timeout", error=self._wall_text())
        if call.probe.kind != "variable" and call.function not in self.defined:
            return Observation("missing", error=f"{call.function} is not defined")
        for _ in range(2):  # a reply that answers another call: once more, in a fresh child
            if self.child is None and not self._restart():
                return Observation("crashed", error="the file could not be run again")
            observation = self._attempt(call)
            if observation is not None:
                return observation
        text = f"{call.function}: the sandbox process sent replies that answer no call asked"
        return Observation("bad_result", error=text)

    def _attempt(self, call: CallSpec) -> Observation | None:
        """Make ``call`` in the current child; None if the reply stream was out of step.

        A child whose stream is out of step (a forged or garbled message) is discarded.
        """
        tree, frames = replies.encode_kwargs(call.kwargs)
        probe = {"kind": call.probe.kind, "wrt": call.probe.wrt}
        probe.update(names=list(call.probe.names), attributes=list(call.probe.attributes))
        header = {"op": "call", "call_id": call.call_id, "function": call.function}
        header.update(kwargs=tree, probe=probe, substitutes=list(call.substitutes))
        header.update(positional=list(call.positional))
        header.update(oracle_calls=self.limits.oracle_calls)
        lender = oracle.Lender(call, self.request.oracles, self.limits.oracle_calls)
        started = time.monotonic()
        deadline = min(started + call.time_limit_s, self.wall_deadline)
        try:
            wire.send(self.child.request_fd, header, frames, deadline)
            reply, reply_frames = self._reply(lender, deadline)
        except (wire.WireTimeoutError, wire.WireClosedError) as e:
            status, text = self._lost(e, f"{call.function} did not return")
            if isinstance(e, wire.WireTimeoutError) and deadline == self.wall_deadline:
                text = self._wall_text()
            elif isinstance(e, wire.WireTimeoutError):
                text = f"{call.function} did not return within {call.time_limit_s:g} s"
            ms = (time.monotonic() - started) * 1000
            return Observation(status, error=text, duration_ms=ms)
        except wire.WireTooLargeError as e:  # refused unread: the child is discarded
            self._lost(e, "")
            ms = (time.monotonic() - started) * 1000
            return Observation("bad_result", error=f"{call.function} sent back {e}", duration_ms=ms)
        except (wire.WireError, replies.ReplyError) as e:
            self._lost(wire.WireError(str(e)), "")
            return None
        if reply.get("op") != "result" or reply.get("call_id") != call.call_id:
            self._lost(wire.WireError("out of step"), "")
            return None
        if _pending(self.child.reply_fd):  # more than one reply: start the next call afresh
            self._lost(wire.WireError("out of step"), "")
        if not call.hidden:
            self.output.add(reply)
        ms = (time.monotonic() - started) * 1000
        return replies.observation(call, reply, reply_frames, ms)

    def _reply(self, lender: oracle.Lender, deadline: float) -> tuple[dict, list[bytes]]:
        """Receive the reply to a call, answering the oracle requests that come first."""
        max_bytes = self.limits.result_bytes + CHUNK_REPLY_MAX
        while True:
            reply, frames = wire.recv(self.child.reply_fd, max_bytes, deadline, REPLY_HEADER_MAX)
            if reply.get("op") != "oracle":
                return reply, frames
            answer, answer_frames = lender.answer(reply, frames)
            wire.send(self.child.request_fd, answer, answer_frames, deadline)

    # ------------------------------------------------------------ children

    def _spawn(self) -> None:
        """Fork a child and wait until it is confined (before any student code runs)."""
        self.child = self.zygote.spawn(self.spawn)
        try:
            reply, _ = wire.recv(self.child.reply_fd, 4096, time.monotonic() + READY_S)
        except wire.WireError as e:
            reply = {"op": "failed", "error": f"no answer ({e})"}
        if reply.get("op") != "ready":
            child, self.child = self.child, None
            self.zygote.kill(child, EXIT_WAIT_S)
            detail = str(reply.get("error", reply))[:2000]
            raise SandboxInfrastructureError(f"a sandbox child could not start: {detail}")

    def _lost(self, error: wire.WireError, doing: str) -> Lost:
        """End the current child after ``error``; return (status, message) for the student."""
        child, self.child = self.child, None
        if isinstance(error, wire.WireTimeoutError):
            self.zygote.kill(child, EXIT_WAIT_S)
            return Lost("timeout", f"{doing} took too long")
        if isinstance(error, wire.WireClosedError):
            exit = self.zygote.wait_exit(child, EXIT_WAIT_S)
            child.close()
            if exit is None:
                self.zygote.kill(child, EXIT_WAIT_S)
            status, text = replies.died(exit, self.limits.cpu_s)
            return Lost(status, f"{doing}: {text}")
        self.zygote.kill(child, EXIT_WAIT_S)
        return Lost("crashed", f"{doing}: the sandbox process sent a malformed reply ({error})")

    def _end_child(self) -> None:
        if self.child is not None:
            child, self.child = self.child, None
            try:
                wire.send(child.request_fd, {"op": "exit"}, (), time.monotonic() + 1)
            except wire.WireError:
                pass
            self.zygote.kill(child, EXIT_WAIT_S)

    def _wall_text(self) -> str:
        return f"the submission used up its total time budget of {self.limits.wall_s:g} s"


def _pending(fd: int) -> bool:
    """Whether ``fd`` has bytes to read right now."""
    return bool(select.select([fd], [], [], 0)[0])


class _Output:
    """The student's captured output across children, capped at ``limit`` characters."""

    def __init__(self, limit: int) -> None:
        self.limit, self.parts, self.kept, self.dropped = limit, [], 0, 0

    def add(self, reply: dict) -> None:
        text, dropped = reply.get("output", ""), reply.get("dropped", 0)
        if type(text) is not str or type(dropped) is not int or dropped < 0:
            return
        room = max(self.limit - self.kept, 0)
        self.parts.append(text[:room])
        self.kept += min(len(text), room)
        self.dropped += dropped + max(len(text) - room, 0)

    def text(self) -> str:
        """The kept output, with a note of how much was dropped."""
        note = f"\n[... {self.dropped} more characters of output dropped]" if self.dropped else ""
        return "".join(self.parts) + note
