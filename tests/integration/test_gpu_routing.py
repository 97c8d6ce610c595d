"""CUDA submissions go to the gpu queue and wait there for a GPU worker, never graded on the CPU."""

from __future__ import annotations

import os

from live_services import start_worker, stop_process, wait_until
from service_support import FIXTURES, submit_file

ADMIN = "gpu-routing-admin-key-0123456789"
HEADERS = {"Authorization": f"Bearer {ADMIN}"}


def test_a_cuda_submission_waits_in_the_gpu_queue_while_only_a_cpu_worker_runs(
    make_settings, fresh_redis, tmp_path
):
    from service import create_app

    worker = start_worker(
        fresh_redis.url, tmp_path / "worker.log", f"cpu-only-{os.getpid()}@%h", "cpu"
    )
    try:
        client = create_app(make_settings(redis_url=fresh_redis.url, admin_key=ADMIN)).test_client()
        torch_file = FIXTURES / "torch_correct.py"
        on_gpu = submit_file(client, HEADERS, torch_file, "lecture4-torch", device="cuda")
        assert on_gpu.status_code == 202, on_gpu.get_data(as_text=True)
        # A later cpu job finishing shows the worker took what it consumes, and only that.
        on_cpu = submit_file(client, HEADERS, torch_file, "lecture4-torch", device="cpu")
        link = f"{on_cpu.get_json()['links']['submission']}?wait=30"
        poll = lambda: final(client.get(link, headers=HEADERS).get_json())  # noqa: E731
        assert wait_until(poll, 120, "the cpu job to finish") == "graded"

        waiting = client.get(on_gpu.get_json()["links"]["submission"], headers=HEADERS).get_json()
        ready = client.get("/readyz")
    finally:
        stop_process(worker)

    assert waiting["status"] == "queued" and waiting["device"] == "cuda"
    body = ready.get_json()
    assert ready.status_code == 200 and body["ready"]
    assert body["queues"]["cpu"] == {"workers": 1, "waiting": 0, "stalled": False}
    assert body["queues"]["gpu"] == {"workers": 0, "waiting": 1, "stalled": True}


def final(record: dict) -> str | None:
    """The record's status once it is final, else None."""
    return record["status"] if record["status"] in ("graded", "not_gradable", "failed") else None


def test_readyz_counts_waiting_tasks_per_queue_without_a_worker(make_settings, fresh_redis):
    from service import create_app

    client = create_app(make_settings(redis_url=fresh_redis.url, admin_key=ADMIN)).test_client()
    from worker.catalog_publisher import build_catalog, publish

    publish(fresh_redis.client(), build_catalog())
    for _ in range(3):
        accepted = submit_file(
            client, HEADERS, FIXTURES / "torch_correct.py", "lecture4-torch", device="cuda"
        )
        assert accepted.status_code == 202

    body = wait_until(lambda: client.get("/readyz").get_json(), 5, "readyz")

    assert body["queues"]["gpu"] == {"workers": 0, "waiting": 3, "stalled": True}
    assert body["queues"]["cpu"]["waiting"] == 0 and not body["ready"]
