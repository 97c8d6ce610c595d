"""Redis down: 503 with Retry-After and nothing accepted; back up: the app recovers by itself."""

from __future__ import annotations

import secrets

import pytest
from service_support import assert_problem, submit_text

from common.records import KEYS
from common.settings import Settings
from service import create_app
from worker.catalog_publisher import build_catalog, publish


@pytest.fixture
def own_redis(fresh_redis):
    publish(fresh_redis.client(), build_catalog())
    return fresh_redis


def assert_unavailable(response) -> None:
    assert_problem(response, 503, "unavailable")
    assert int(response.headers["Retry-After"]) >= 1


def test_redis_down_answers_503_accepts_nothing_and_recovers(own_redis):
    admin = f"agk_{secrets.token_urlsafe(16)}"
    auth = {"Authorization": f"Bearer {admin}"}
    client = create_app(Settings(redis_url=own_redis.url, admin_key=admin)).test_client()
    before = submit_text(client, auth)
    assert before.status_code == 202

    own_redis.stop()
    assert_unavailable(submit_text(client, auth))
    assert_unavailable(client.get(f"/api/v1/submissions/{before.get_json()['id']}", headers=auth))
    assert_unavailable(client.get("/api/v1/assignments", headers=auth))
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["redis"] is False
    assert client.get("/healthz").status_code == 200

    own_redis.start()
    redis = own_redis.client()
    assert redis.zcard(KEYS.index_all) == 1  # the one accepted before; none during the outage
    assert redis.llen("cpu") == 1
    after = submit_text(client, auth)
    assert after.status_code == 202
    assert redis.zcard(KEYS.index_all) == 2 and redis.llen("cpu") == 2
    record = client.get(f"/api/v1/submissions/{before.get_json()['id']}", headers=auth)
    assert record.get_json()["status"] == "queued"  # the earlier one survived the restart (AOF)


def test_rate_limited_app_also_answers_503_when_redis_is_down(own_redis):
    own_redis.stop()
    settings = Settings(redis_url=own_redis.url, rate_limit_per_key="100/minute")
    client = create_app(settings).test_client()
    assert_unavailable(submit_text(client, {"Authorization": "Bearer agk_anything"}))
