"""A grading process killed mid-run: its task is delivered again and graded, once."""

from __future__ import annotations

import os
import signal

import pytest
from live_services import wait_until
from service_support import FIXTURES

from worker import lifecycle

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("celery_worker")]


def test_killed_grading_process_is_replaced_and_the_submission_graded(
    make_client, admin_auth, redis_server
):
    client = make_client()
    # The pause at import gives the test time to find and kill the process grading it.
    source = "import time\ntime.sleep(3)\n" + (FIXTURES / "numpy_correct.py").read_text()
    body = {"assignment": "lecture4-numpy", "source": source, "student_id": "killed"}
    submission_id = client.post("/api/v1/submissions", headers=admin_auth, json=body).get_json()[
        "id"
    ]
    redis = redis_server.client()

    def running():
        record = lifecycle.load(redis, submission_id)
        return record.worker if record.status == "running" and record.worker else None

    worker = wait_until(running, 60, "the submission to be graded")
    os.kill(int(worker.rsplit(":", 1)[1]), signal.SIGKILL)

    url = f"/api/v1/submissions/{submission_id}?wait=30"
    wait_until(
        lambda: client.get(url, headers=admin_auth).get_json()["status"] == "graded",
        120,
        "the redelivered task",
        interval_s=0,
    )
    done = client.get(url, headers=admin_auth).get_json()
    assert (done["score"], done["attempts"]) == (100, 2)
