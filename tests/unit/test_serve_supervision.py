"""`serve` supervises its worker: one that exits (a stall's restart) is started afresh, a
few times; any other child that exits, or a worker that keeps exiting, stops the service."""

from __future__ import annotations

import os
import sys

import pytest

from autograder import embedded
from autograder.embedded import Embedded

EXITS = [sys.executable, "-c", "raise SystemExit(75)"]
SLEEPS = [sys.executable, "-c", "import time; time.sleep(60)"]


@pytest.fixture
def service(tmp_path):
    (tmp_path / "logs").mkdir()
    built = Embedded(tmp_path, "127.0.0.1", 0, dev=False)
    yield built
    for child in built.children.values():
        if child.poll() is None:
            child.kill()
        child.wait()


def start(service: Embedded, name: str, argv: list[str]) -> None:
    if name == "worker":
        service.worker_start = (argv, dict(os.environ))
    service._spawn(name, argv, dict(os.environ))


def test_a_worker_that_exited_is_started_again_and_serve_json_names_the_new_one(service):
    start(service, "worker", EXITS)
    first = service.children["worker"]
    first.wait()

    service.check_children()

    fresh = service.children["worker"]
    assert fresh is not first
    fresh.wait()  # the fake exits again at once
    state = embedded.read_state(service.data_dir)
    assert state["pids"]["worker"] == fresh.pid


def test_a_worker_that_keeps_exiting_stops_the_service(service):
    start(service, "worker", EXITS)
    for _ in range(embedded.WORKER_RESTARTS):
        service.children["worker"].wait()
        service.check_children()
    service.children["worker"].wait()
    with pytest.raises(RuntimeError, match="worker exited with status 75"):
        service.check_children()


def test_the_api_exiting_stops_the_service(service):
    start(service, "worker", SLEEPS)
    start(service, "api", EXITS)
    service.children["api"].wait()
    with pytest.raises(RuntimeError, match="api exited with status 75"):
        service.check_children()
