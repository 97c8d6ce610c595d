"""Probes, Prometheus metrics, and the generated OpenAPI document and docs page."""

from __future__ import annotations

import pytest
from service_support import FIXTURES, submit_file

from common.heartbeats import Heartbeat, live_workers


def test_healthz_answers_without_redis(make_settings):
    from service import create_app

    client = create_app(make_settings(redis_url="redis://127.0.0.1:1/0")).test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}


@pytest.mark.usefixtures("celery_worker")
def test_readyz_reports_workers_per_queue(make_client):
    response = make_client().get("/readyz")
    body = response.get_json()
    assert response.status_code == 200
    assert body["ready"] and body["redis"]
    assert body["workers"]["cpu"] >= 1 and body["workers"]["gpu"] >= 1


def test_readyz_is_503_without_a_cpu_worker(make_settings, fresh_redis):
    from service import create_app

    client = create_app(make_settings(redis_url=fresh_redis.url)).test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    idle = {"workers": 0, "waiting": 0, "stalled": False}
    assert response.get_json() == {
        "ready": False,
        "redis": True,
        "workers": {"cpu": 0, "gpu": 0},
        "queues": {"cpu": idle, "gpu": idle},
        "sandbox": {},
    }


def test_a_stopped_heartbeat_withdraws_the_worker(fresh_redis):
    client = fresh_redis.client()
    beat = Heartbeat(client, "w1@test", ["gpu"], interval_s=10, ttl_s=30)
    beat.beat()
    assert live_workers(client) == {"cpu": 0, "gpu": 1}

    beat.stop()

    assert live_workers(client) == {"cpu": 0, "gpu": 0}


@pytest.mark.usefixtures("celery_worker")
def test_metrics_count_submissions_queues_workers_and_latency(make_client, admin_auth):
    client = make_client()
    accepted = submit_file(client, admin_auth, FIXTURES / "numpy_correct.py")
    client.get(f"{accepted.get_json()['links']['submission']}?wait=30", headers=admin_auth)

    response = client.get("/metrics")
    text = response.get_data(as_text=True)

    assert response.status_code == 200 and response.mimetype == "text/plain"
    samples = dict(
        line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#")
    )
    assert float(samples['autograder_submissions{status="graded"}']) >= 1
    assert 'autograder_queue_depth{queue="gpu"}' in samples
    assert float(samples['autograder_workers{queue="cpu"}']) >= 1
    assert float(samples["autograder_grading_latency_seconds_count"]) >= 1
    assert float(samples['autograder_grading_latency_seconds_bucket{le="+Inf"}']) >= 1
    assert float(samples["autograder_grading_duration_seconds_sum"]) > 0


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_openapi_document_covers_every_route_and_resolves(make_client):
    client = make_client()
    doc = client.get("/openapi.json").get_json()

    assert doc["openapi"].startswith("3.")
    expected = {
        ("/api/v1/submissions", "post"),
        ("/api/v1/submissions", "get"),
        ("/api/v1/submissions/{submission_id}", "get"),
        ("/api/v1/submissions/{submission_id}/result", "get"),
        ("/api/v1/assignments", "get"),
        ("/api/v1/assignments/{assignment_id}", "get"),
        ("/api/v1/assignments/{assignment_id}/starter", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
    }
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert expected <= documented
    schemas = doc["components"]["schemas"]
    for ref in _refs(doc):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas
    post = doc["paths"]["/api/v1/submissions"]["post"]
    assert set(post["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert post["responses"]["422"]["content"]["application/problem+json"]
    wait = next(
        p
        for p in doc["paths"]["/api/v1/submissions/{submission_id}"]["get"]["parameters"]
        if p["name"] == "wait"
    )
    assert wait["in"] == "query" and wait["schema"]["maximum"] == 30


def test_docs_page_lists_the_operations(make_client):
    page = make_client().get("/docs")
    html = page.get_data(as_text=True)
    assert page.mimetype == "text/html"
    assert "/api/v1/submissions/{submission_id}/result" in html and "openapi.json" in html
