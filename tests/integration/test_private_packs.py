"""A worker whose AUTOGRADER_PACKS names a course's pack folder, and which has a private
package installed, publishes those packs and grades them; the service serves their public
description only, never their reference or hidden cases."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from live_services import start_worker, stop_process

from common.settings import Settings
from service import create_app
from service.keys import KeyStore

PACKS = Path(__file__).resolve().parents[1] / "fixtures" / "packs"
RELU = "import numpy as np\n\n\ndef relu(x):\n    return np.maximum(x, 0)\n"

pytestmark = pytest.mark.slow


@pytest.fixture
def private_worker(fresh_redis, tmp_path):
    """A worker with the course folder in AUTOGRADER_PACKS and the installed pack importable."""
    path = os.pathsep.join(filter(None, [str(PACKS / "installed"), os.environ.get("PYTHONPATH")]))
    env = {"AUTOGRADER_PACKS": str(PACKS / "course"), "PYTHONPATH": path}
    process = start_worker(fresh_redis.url, tmp_path / "worker.log", "private@%h", "cpu", **env)
    yield fresh_redis
    stop_process(process)


def test_a_worker_publishes_and_grades_packs_that_do_not_ship_with_the_tool(private_worker):
    client = create_app(Settings(redis_url=private_worker.url)).test_client()
    secret, _ = KeyStore(private_worker.client()).create("admin", "*", name="test")
    auth = {"Authorization": f"Bearer {secret}"}

    listed = client.get("/api/v1/assignments", headers=auth).get_data(as_text=True)
    for pack_id in ("course-relu", "course-double", "course-inc", "lecture4-numpy"):
        assert pack_id in listed
    relu = client.get("/api/v1/assignments/course-relu", headers=auth).get_data(as_text=True)
    assert "relu: random" in relu
    assert "secret" not in relu and "np.maximum" not in relu  # hidden case, reference

    body = {"assignment": "course-relu", "student_id": "ada", "source": RELU}
    url = client.post("/api/v1/submissions", headers=auth, json=body).get_json()["links"]
    done = client.get(f"{url['submission']}?wait=30", headers=auth).get_json()
    assert (done["status"], done["score"], done["max_score"]) == ("graded", 10, 10)
