"""Parent side: start a zygote, ask it for children, kill them, hear how they ended.

The command that starts the zygote is the only thing that differs between runners (a
plain ``python -I``, or the same inside bubblewrap); see :class:`ZygoteCommand`.
"""

from __future__ import annotations

import json
import logging
import os
import select
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

from .api import SandboxInfrastructureError

CONTROL_MAX = 64 * 1024
log = logging.getLogger(__name__)
ZygoteCommand = Callable[[int], list[str]]  # control fd -> argv


@dataclass
class Child:
    """A forked child: its pid (in the zygote's pid namespace) and our pipe ends."""

    pid: int
    request_fd: int  # we write requests here (non-blocking)
    reply_fd: int  # we read replies here (non-blocking)

    def close(self) -> None:
        """Close our pipe ends (idempotent)."""
        for name in ("request_fd", "reply_fd"):
            fd = getattr(self, name)
            if fd >= 0:
                os.close(fd)
                setattr(self, name, -1)


@dataclass(frozen=True)
class Exit:
    """How a child ended: killed by ``signal``, or exited with ``code``."""

    signal: int | None
    code: int


class ZygoteClient:
    """One warm zygote process and its control socket."""

    def __init__(
        self,
        command: ZygoteCommand,
        env: dict[str, str],
        start_s: float = 120.0,
        popen: dict | None = None,
    ) -> None:
        self._command, self._env, self._start_s = command, env, start_s
        self._popen = popen or {}  # e.g. user/group to start it as
        self._proc: subprocess.Popen | None = None
        self._sock: socket.socket | None = None
        self._exits: dict[int, Exit] = {}
        self._last_output = ""  # what the zygote wrote before it was last stopped
        self._ready = False  # it said ready since it was last launched
        self.versions: dict[str, str] = {}
        self.restarts = 0  # times it refused to fork (a child changed it) and was replaced

    @property
    def pid(self) -> int | None:
        """The host pid of the process we started (bwrap or the interpreter), if running."""
        return self._proc.pid if self.alive else None

    @property
    def alive(self) -> bool:
        """Whether the zygote process is running."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start the zygote (unless launched) and wait for it to say ready.

        Raises SandboxInfrastructureError if it does not.
        """
        if not self.alive:
            self.launch()
        if not self._ready:
            ready = self._expect(("ready",), time.monotonic() + self._start_s)
            self.versions = dict(ready.get("versions", {}))
            self._ready = True

    def launch(self) -> None:
        """Start the zygote's process without waiting for it; :meth:`start` then waits.

        Call it from a thread that lives as long as the zygote: bubblewrap's
        --die-with-parent kills the sandbox when the *thread* that started it ends.
        """
        self._ready = False
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._stderr = tempfile.TemporaryFile()
        try:
            self._proc = subprocess.Popen(
                self._command(theirs.fileno()),
                pass_fds=[theirs.fileno()],
                env=self._env,
                stdin=subprocess.DEVNULL,
                stdout=self._stderr,
                stderr=self._stderr,
                start_new_session=True,
                **self._popen,
            )
        except OSError as e:
            raise SandboxInfrastructureError(f"cannot start the sandbox zygote: {e}") from e
        finally:
            theirs.close()
        self._sock = ours

    def spawn(self, request: dict) -> Child:
        """Fork a child serving the harness; ``request`` carries its confinement config.

        A zygote that finds itself changed since it started (a child reached it) refuses
        to fork and exits: it is replaced by a fresh one, once.
        """
        for _ in range(2):
            child = self._spawn_once(request)
            if child is not None:
                return child
            self.stop()
            self.restarts += 1
        raise SandboxInfrastructureError("a fresh sandbox zygote refused to fork as well")

    def _spawn_once(self, request: dict) -> Child | None:
        """Fork a child; None if the zygote answered ``stale`` (it is then exiting)."""
        if not (self.alive and self._ready):
            self.start()
        req_r, req_w = os.pipe2(os.O_CLOEXEC)
        rep_r, rep_w = os.pipe2(os.O_CLOEXEC)
        try:
            message = json.dumps({"op": "spawn", **request}).encode()
            socket.send_fds(self._sock, [message], [req_r, rep_w])
        except OSError as e:
            for fd in (req_r, req_w, rep_r, rep_w):
                os.close(fd)
            self.stop()
            raise SandboxInfrastructureError(f"the sandbox zygote is gone: {e}") from e
        finally:
            if self._sock is not None:
                os.close(req_r)
                os.close(rep_w)
        spawned = self._expect(("spawned", "stale"), time.monotonic() + 30, (req_w, rep_r))
        if spawned["op"] == "stale":
            log.warning("sandbox zygote replaced: %s", str(spawned.get("reason"))[:300])
            os.close(req_w)
            os.close(rep_r)
            return None
        os.set_blocking(req_w, False)
        os.set_blocking(rep_r, False)
        return Child(int(spawned["pid"]), req_w, rep_r)

    def kill(self, child: Child, wait_s: float = 10.0) -> Exit | None:
        """SIGKILL the child's process group and return how it ended (None: zygote is gone)."""
        child.close()
        if child.pid not in self._exits and self.alive:
            try:
                self._sock.send(json.dumps({"op": "kill", "pid": child.pid}).encode())
            except OSError:
                self.stop()
        return self.wait_exit(child, wait_s)

    def wait_exit(self, child: Child, wait_s: float) -> Exit | None:
        """Wait until the zygote reports the child's end; None if it does not in time."""
        deadline = time.monotonic() + wait_s
        while child.pid not in self._exits:
            if not self._read_one(deadline):
                return None
        return self._exits.pop(child.pid)

    def stop(self, kill: bool = False) -> None:
        """Close the control socket (the zygote kills its children and exits), then reap it.

        ``kill``: SIGKILL the process group we started at once rather than wait for the
        zygote to shut down (its interpreter takes tens of milliseconds to finalise). Only
        where that ends the zygote's children too: a pid namespace (bubblewrap) does.
        """
        self._ready = False
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._proc is not None:
            try:
                if kill and self._proc.poll() is None:
                    os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait()
            self._proc = None
            self._last_output = self._read_output()
            self._stderr.close()

    def _expect(self, ops: tuple[str, ...], deadline: float, close: tuple[int, ...] = ()) -> dict:
        """The next control message whose op is one of ``ops`` (``close``: our fds to close
        if none comes)."""
        while True:
            message = self._read_one(deadline)
            if message is None:
                detail = self._stderr_tail()
                self.stop()
                for fd in close:
                    os.close(fd)
                text = f"sandbox zygote did not answer {ops[0]}: {detail}"
                raise SandboxInfrastructureError(text)
            if message.get("op") in ops:
                return message

    def _read_one(self, deadline: float) -> dict | None:
        """Read one control message (recording exits); None on timeout or a dead zygote."""
        if self._sock is None:
            return None
        timeout = max(deadline - time.monotonic(), 0)
        ready, _, _ = select.select([self._sock], [], [], timeout)
        if not ready:
            return None
        raw = self._sock.recv(CONTROL_MAX)
        if not raw:
            self.stop()
            return None
        message = json.loads(raw)
        if message.get("op") == "exited":
            self._exits[int(message["pid"])] = Exit(message.get("signal"), int(message["code"]))
        return message

    def _stderr_tail(self) -> str:
        """Return why the zygote did not answer: its last output, kept even once stopped."""
        if self._proc is not None and self._proc.poll() is None:
            return "no answer in time"
        if self._stderr.closed:  # stop() ran (the zygote hung up); it kept the tail
            return self._last_output or "no output"
        return self._read_output() or "no output"

    def _read_output(self) -> str:
        """Return the last 2,000 characters the zygote (or bwrap) wrote."""
        self._stderr.seek(0)
        return self._stderr.read()[-2000:].decode(errors="replace")
