"""Child side: the zygote, a warm interpreter that forks one child per submission.

Started once per (runtime, device) by a runner (plainly, or inside bubblewrap), it imports
NumPy (and torch) and the harness, says ``ready`` on its control socket, then answers:

- ``spawn`` (with two pipe fds attached: requests in, replies out): fork a child that
  confines itself (:mod:`.confine`) and serves the harness protocol on those pipes;
  replies ``{"op": "spawned", "pid"}``;
- ``kill``: SIGKILL the child's process group;

and reports ``{"op": "exited", "pid", "signal", "code"}`` whenever a child ends. It never
runs student code itself and exits when its control socket closes. It must not start a
thread or initialise CUDA before forking (both break the child).

Before each fork it checks that it is as it started (:mod:`.state`) and that no ended
child's scratch is left (:mod:`.scratch`); if not, it answers ``{"op": "stale", "reason"}``
instead of forking and exits, and the parent starts a fresh zygote.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import select
import shutil
import signal
import socket
import sys
import tempfile
import warnings

from . import scratch, state

CONTROL_MAX = 64 * 1024


def main(argv: list[str] | None = None) -> None:
    """Preload the runtime, then serve the control socket until it closes."""
    parser = argparse.ArgumentParser(prog="sandbox-zygote")
    parser.add_argument("--runtime", choices=("numpy", "torch"), required=True)
    parser.add_argument("--control-fd", type=int, required=True)
    parser.add_argument("--scratch", default=None, help="directory for per-child scratch dirs")
    parser.add_argument("--hardened", action="store_true", help="confine every child fully")
    parser.add_argument("--seccomp-library", default="", help="libseccomp's file name")
    parser.add_argument("--drop-uid", type=int, default=None, help="become this uid first")
    args = parser.parse_args(argv)
    state.lift_memory_cap()
    if args.drop_uid is not None:  # started as root by bubblewrap: nothing runs as root
        state.drop_to(args.drop_uid)
    versions = preload(args.runtime)
    if args.hardened:
        from . import confine, syscalls

        syscalls.load_library(args.seccomp_library)
        confine.set_dumpable(False)  # nobody in the sandbox may read or write our memory
    control = socket.socket(fileno=args.control_fd)
    _send(control, {"op": "ready", "pid": os.getpid(), "versions": versions})
    # without a scratch root of its own (a tmpfs), one private dir: others' are not ours
    root = args.scratch or tempfile.mkdtemp(prefix="sandbox-zygote-")
    try:
        Zygote(control, root, args.hardened).serve()
    finally:
        if args.scratch is None:
            scratch.remove(root)


def preload(runtime: str) -> dict[str, str]:
    """Import what every child needs, without starting threads or touching CUDA."""
    import numpy
    import numpy.random  # noqa: F401 - imported lazily by numpy, else once in every child

    from . import confine, harness  # noqa: F401 - warm the child side

    preload_matplotlib()
    versions = {"python": sys.version.split()[0], "numpy": numpy.__version__}
    if runtime == "torch":
        import torch

        torch.set_num_threads(1)  # libgomp thread pools do not survive fork
        torch.set_num_interop_threads(1)
        versions["torch"] = torch.__version__
    return versions


def preload_matplotlib() -> None:
    """Make ``import matplotlib.pyplot`` work in children: the Agg backend, plots discarded.

    Students' notebooks plot (the spec's untidy files). Importing pyplot here, once per
    zygote, builds matplotlib's font list once instead of in every child, and picks the
    non-interactive backend before any student code can ask for a window. Its config and
    cache go to a folder of their own, removed once loaded: not the worker's HOME, and
    nothing left in the scratch space the children share. ``plt.show()`` then does
    nothing; its warning that Agg cannot show a figure would only be noise.
    """
    os.environ["MPLBACKEND"] = "Agg"
    config = tempfile.mkdtemp(prefix="mpl-")
    os.environ["MPLCONFIGDIR"] = config
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot  # noqa: F401
    except ImportError:
        return  # not installed: students' plotting imports fail with a warning instead
    finally:
        shutil.rmtree(config, ignore_errors=True)
        for name in ("MPLBACKEND", "MPLCONFIGDIR"):  # chosen now; children's env stays bare
            os.environ.pop(name, None)
    warnings.filterwarnings("ignore", message=".*non-interactive, and thus cannot be shown")


class Zygote:
    """Forks, kills and reaps children on request of the parent."""

    def __init__(self, control: socket.socket, scratch_root: str, hardened: bool) -> None:
        self.control = control
        self.scratch_root = scratch_root
        self.hardened = hardened
        self.children: dict[int, tuple[int, str]] = {}  # pidfd -> (pid, scratch dir)
        self.initial = state.snapshot(scratch_root)

    def serve(self) -> None:
        """Answer control messages and report child exits until the parent goes away."""
        while True:
            ready, _, _ = select.select([self.control, *self.children], [], [])
            for fd in ready:
                if fd is self.control:
                    if not self._handle_control():
                        self._shutdown()
                        return
                else:
                    self._reap(fd)

    def _handle_control(self) -> bool:
        msg, fds, _, _ = socket.recv_fds(self.control, CONTROL_MAX, 4)
        if not msg:
            return False
        request = json.loads(msg)
        if request["op"] == "spawn":
            stale = self._stale()
            if stale:  # refuse to fork; the parent starts a fresh zygote
                _send(self.control, {"op": "stale", "reason": stale})
                for fd in fds:
                    os.close(fd)
                return False
            self._spawn(request, fds)
        elif request["op"] == "kill":
            _kill_group(int(request["pid"]))
        for fd in fds:
            os.close(fd)
        return True

    def _stale(self) -> str | None:
        """Why this zygote must not fork again (a child changed it), or None."""
        changed = state.changed(self.initial, state.snapshot(self.scratch_root))
        if changed:
            return "the zygote's " + ", ".join(changed) + " changed"
        live = {path for _, path in self.children.values()}
        return scratch.dirty(self.scratch_root, live, own_tmpfs=self.hardened)

    def _spawn(self, request: dict, fds: list[int]) -> None:
        scratch_dir = scratch.make(self.scratch_root)
        if self.hardened:  # whatever the request says, a hardened zygote's children are
            request.setdefault("confine", {})["hardened"] = True
        pid = os.fork()
        if pid == 0:
            _child(self.control, fds, scratch_dir, request)
        pidfd = os.pidfd_open(pid)
        self.children[pidfd] = (pid, scratch_dir)
        _send(self.control, {"op": "spawned", "pid": pid})

    def _reap(self, pidfd: int) -> None:
        pid, scratch_dir = self.children.pop(pidfd)
        os.close(pidfd)
        _kill_group(pid)  # stragglers in its group; the zombie leader keeps the pgid ours
        _, status = os.waitpid(pid, 0)
        scratch.remove(scratch_dir)  # what it leaves, the next spawn's check refuses
        code = os.waitstatus_to_exitcode(status)
        exit_signal = -code if code < 0 else None
        _send(self.control, {"op": "exited", "pid": pid, "signal": exit_signal, "code": code})

    def _shutdown(self) -> None:
        for pidfd, (pid, scratch_dir) in self.children.items():
            _kill_group(pid)
            os.waitpid(pid, 0)
            os.close(pidfd)
            scratch.remove(scratch_dir)


def _child(control: socket.socket, fds: list[int], scratch: str, request: dict) -> None:
    """In the forked child: confine this process, say ready, serve the harness. Never returns.

    ``ready`` goes out before any student code runs, so a child that dies before it is
    our failure (the parent raises SandboxInfrastructureError), never the student's.
    """
    code, wfd = 0, -1
    try:
        os.setsid()  # own session and process group: the parent kills the whole group
        control.close()
        for sig in (signal.SIGCHLD, signal.SIGPIPE, signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        from . import capture, confine, harness, wire

        rfd, wfd = _only_fds(fds)
        capture.redirect_std_fds()
        os.chdir(scratch)
        confine.confine(request.get("confine", {}), scratch)
        wire.send(wfd, {"op": "ready"})
        pipes, wfd = (rfd, wfd), -1  # from here on student code runs: its failures are its own
        harness.Harness(*pipes, max_message=int(request["max_message"])).serve()
    except BaseException as e:  # noqa: BLE001 - nothing may escape into the zygote's loop
        code = 70
        if wfd >= 0:
            _report_failure(wfd, e)
    os._exit(code)


def _report_failure(wfd: int, error: BaseException) -> None:
    try:
        from . import wire

        wire.send(wfd, {"op": "failed", "error": f"{type(error).__name__}: {error}"[:2000]})
    except Exception:  # noqa: BLE001 - the parent sees the exit anyway
        pass


def _only_fds(fds: list[int]) -> tuple[int, int]:
    """Keep only fds 0-2 and the two pipes (moved to 3 and 4); close everything else."""
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100) for fd in fds]
    for fd in (3, 4):
        os.dup2(high[fd - 3], fd, inheritable=False)
    os.closerange(5, 1 << 20)  # close_range(2) underneath: cheap however high the limit
    return 3, 4


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _send(control: socket.socket, message: dict) -> None:
    control.send(json.dumps(message).encode())


if __name__ == "__main__":
    main()
