"""Fixtures of the fault suite: one Cluster (Redis, workers, the API) per test.

The API is the real app from ``service.create_app`` behind Flask's test client: what it
answers is what gunicorn would send, and it shares nothing with the workers but Redis.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import redis
from fault_support import ADMIN_KEY, AUTH, EXIT_STALLED, FINAL, Redis, Worker, wait_until

from common.records import KEYS, SubmissionRecord
from common.settings import Settings


class Cluster:
    """A Redis server, the workers started on it, and a client of the API."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.redis = Redis(folder / "redis").start()
        self.workers: list[Worker] = []
        settings = Settings(
            redis_url=self.redis.url,
            admin_key=ADMIN_KEY,
            rate_limits_enabled=False,
            redis_timeout_s=0.5,
            unavailable_retry_after_s=1,
        )
        from service import create_app

        self.app = create_app(settings)
        self.api = self.app.test_client()
        self.restarts = 0
        self._supervising = threading.Event()
        self._supervisor = threading.Thread(target=self._supervise, daemon=True)
        self._supervisor.start()

    def _supervise(self) -> None:
        """Start a fresh worker in place of one that exited for it (a stall), as `serve`
        and compose's restart policy do; workers a test stops or kills stay down."""
        while not self._supervising.wait(0.5):
            for worker in self.workers:
                if worker.process is not None and worker.process.poll() == EXIT_STALLED:
                    self.restarts += 1
                    worker.start()

    def start_worker(self, concurrency: int = 2, **env: str) -> Worker:
        """Start one more worker on this cluster's Redis (its log in the test's folder)."""
        index = len(self.workers)
        log = self.folder / f"worker-{index}.log"
        worker = Worker(self.redis.url, log, f"fault{index}@%h", concurrency).start(**env)
        self.workers.append(worker)
        return worker

    def submit(self, path: Path, student_id: str, assignment: str = "lecture4-numpy"):
        """POST ``path`` through the API; return the response."""
        with path.open("rb") as handle:
            data = {"assignment": assignment, "student_id": student_id, "file": (handle, path.name)}
            return self.api.post("/api/v1/submissions", headers=AUTH, data=data)

    def submit_many(self, paths: list[Path], prefix: str) -> list[str]:
        """Submit every path (all must be accepted); return the ids in order."""
        ids = []
        for i, path in enumerate(paths):
            response = self.submit(path, f"{prefix}-{i}")
            assert response.status_code == 202, response.get_data(as_text=True)
            ids.append(response.get_json()["id"])
        return ids

    def record(self, submission_id: str) -> SubmissionRecord | None:
        fields = self.redis.client().hgetall(KEYS.submission(submission_id))
        return SubmissionRecord.from_redis(fields) if fields else None

    def statuses(self, ids: list[str]) -> Counter:
        """How many of ``ids`` are in each status now (or 'missing')."""
        pipe = self.redis.client().pipeline(transaction=False)
        for submission_id in ids:
            pipe.hget(KEYS.submission(submission_id), "status")
        return Counter(status or "missing" for status in pipe.execute())

    def running(self) -> list[str]:
        """Ids whose status is 'running' right now."""
        return list(self.redis.client().zrange(KEYS.index_status("running"), 0, -1))

    def wait_all_final(self, ids: list[str], timeout_s: float) -> None:
        """Return once every id is final; TimeoutError with the status counts otherwise."""

        def done() -> bool:
            try:
                counts = self.statuses(ids)
            except redis.RedisError:
                return False
            return sum(counts[s] for s in FINAL) == len(ids)

        try:
            wait_until(done, timeout_s, "every submission to finish", 0.5)
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}: {dict(self.statuses(ids))}") from None

    def close(self) -> None:
        self._supervising.set()
        self._supervisor.join(60)
        for worker in self.workers:
            worker.stop()
        self.redis.stop()
        services = self.app.extensions["autograder"]
        services.redis.close()
        services.queue.celery.close()


class Publications:
    """Counts final-status publications per id (the second witness of 'stored once')."""

    def __init__(self, url: str) -> None:
        self.counts: Counter[str] = Counter()
        self._client = redis.Redis.from_url(url, decode_responses=True)
        self._pubsub = self._client.pubsub()
        self._pubsub.psubscribe(KEYS.finished_channel("*"))
        self._prefix = KEYS.finished_channel("")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                message = self._pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
            except redis.RedisError:
                time.sleep(0.2)
                continue
            if message and message["type"] == "pmessage":
                self.counts[message["channel"][len(self._prefix) :]] += 1

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._pubsub.close()
        self._client.close()


@pytest.fixture
def cluster(tmp_path: Path):
    built = Cluster(tmp_path)
    yield built
    built.close()


@pytest.fixture
def publications(cluster: Cluster):
    watcher = Publications(cluster.redis.url)
    yield watcher
    watcher.close()
