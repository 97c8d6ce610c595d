"""/readyz and /metrics say which sandbox each worker grades with, and why one refused."""

from __future__ import annotations

import pytest

from common import sandbox_state
from common.heartbeats import Heartbeat
from worker.sandbox.host import bwrap_runner
from worker.sandbox.host.isolation import Isolation

BLOCKED = "bwrap cannot create namespaces here (user namespaces blocked?)"


@pytest.fixture
def app_client(make_settings, fresh_redis):
    from service import create_app

    return create_app(make_settings(redis_url=fresh_redis.url)).test_client()


def test_readyz_and_metrics_show_each_workers_mode_and_layers(app_client, fresh_redis):
    client = fresh_redis.client()
    Heartbeat(client, "w1@test", ["cpu"], interval_s=10, ttl_s=30).beat()
    layers = {"namespaces": True, "seccomp": True, "landlock": True, "cgroup": False}
    sandbox_state.publish(client, "w1@test", Isolation("bwrap", layers).as_dict())
    sandbox_state.publish(client, "gone@test", Isolation("process").as_dict())  # no heartbeat

    body = app_client.get("/readyz").get_json()
    assert body["sandbox"] == {"w1@test": {"mode": "bwrap", "layers": layers, "problem": None}}
    text = app_client.get("/metrics").get_data(as_text=True)
    assert 'autograder_sandbox_mode{mode="bwrap",worker="w1@test"} 1.0' in text
    assert 'autograder_sandbox_layer_active{layer="cgroup",worker="w1@test"} 0.0' in text
    assert 'autograder_sandbox_layer_active{layer="seccomp",worker="w1@test"} 1.0' in text


def test_a_worker_that_cannot_sandbox_refuses_to_start_and_readyz_says_why(
    app_client, fresh_redis, make_settings, monkeypatch, capsys
):
    from autograder.commands.worker import refuse_without_sandbox

    monkeypatch.setitem(bwrap_runner._support, "reason", BLOCKED)
    settings = make_settings(redis_url=fresh_redis.url, sandbox="auto")
    assert refuse_without_sandbox(settings, "w2@test") is True
    assert BLOCKED in capsys.readouterr().err

    response = app_client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 503 and body["workers"]["cpu"] == 0
    assert body["sandbox"]["w2@test"]["mode"] == "unavailable"
    assert BLOCKED in body["sandbox"]["w2@test"]["problem"]
