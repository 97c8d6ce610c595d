"""Redis going away: a restart in a burst loses nothing (AOF); while it is down the API says
503 and stores nothing; once it is back everything recovers without a restart of ours.
"""

from __future__ import annotations

import signal
import threading
import time

import pytest
from fault_support import AUTH, FIXTURES, stored_results, wait_until

from common.records import KEYS

pytestmark = pytest.mark.slow

CORRECT = FIXTURES / "numpy_correct.py"


class Submitter(threading.Thread):
    """Submits ``count`` files through the API, retrying 503s: keeps the accepted ids."""

    def __init__(self, cluster, count: int) -> None:
        super().__init__(daemon=True)
        self.cluster, self.count = cluster, count
        self.accepted: list[str] = []
        self.refused = 0

    def run(self) -> None:
        for i in range(self.count):
            path = CORRECT
            for _ in range(200):
                response = self.cluster.submit(path, f"burst-{i}")
                if response.status_code == 202:
                    self.accepted.append(response.get_json()["id"])
                    break
                assert response.status_code == 503, response.get_data(as_text=True)
                self.refused += 1
                time.sleep(0.1)
            time.sleep(0.05)


def test_redis_crashing_and_restarting_in_a_burst_loses_no_accepted_submission(cluster):
    """kill -9, not a clean shutdown: only what the AOF holds comes back.

    Runs that were grading when Redis went away are cancelled by the worker; their
    messages come back once the visibility timeout has passed (and kombu's restore sweep,
    every ~100 s, has run), their locks have expired, and they are graded then.
    """
    worker = cluster.start_worker(concurrency=2)
    submitter = Submitter(cluster, 20)
    submitter.start()
    wait_until(lambda: len(submitter.accepted) >= 8, 60, "eight accepted submissions")

    cluster.redis.stop(signal.SIGKILL)
    time.sleep(1.0)  # an outage the API and the worker both notice
    cluster.redis.start()
    submitter.join(120)

    assert len(submitter.accepted) == 20
    cluster.wait_all_final(submitter.accepted, timeout_s=150)
    records = [cluster.record(i) for i in submitter.accepted]
    assert [r.status for r in records] == ["graded"] * 20
    assert {r.score for r in records} == {100.0}
    assert set(stored_results(worker.outcomes(), submitter.accepted).values()) == {1}


def test_api_answers_503_while_redis_is_down_stores_nothing_and_recovers_by_itself(cluster):
    cluster.start_worker(concurrency=1)
    before = cluster.submit_many([CORRECT], "before")
    cluster.wait_all_final(before, timeout_s=60)
    cluster.redis.stop()

    refused = cluster.submit(CORRECT, "while-down")
    assert refused.status_code == 503
    assert refused.mimetype == "application/problem+json"
    assert refused.headers["Retry-After"] == "1"
    assert "Traceback" not in refused.get_data(as_text=True)
    assert cluster.api.get("/readyz").status_code == 503
    assert cluster.api.get(f"/api/v1/submissions/{before[0]}", headers=AUTH).status_code == 503

    cluster.redis.start()
    assert cluster.redis.client().zcard(KEYS.index_all) == 1  # the refused one was not kept
    accepted = cluster.submit(CORRECT, "after")  # the same app: it reconnects by itself
    assert accepted.status_code == 202
    after = accepted.get_json()["id"]
    cluster.wait_all_final([after], timeout_s=60)  # and the worker consumes again
    assert cluster.record(after).score == 100.0
    wait_until(lambda: cluster.api.get("/readyz").status_code == 200, 30, "readiness")
