"""The sandbox each worker grades with, in Redis: written by workers, read by /readyz,
/metrics and serve.

A worker that starts writes its state (``{"mode", "layers", "problem"}``, as
worker.sandbox.host.isolation.Isolation.as_dict gives it) under its name; readers show
only the states of live workers (common.heartbeats). A worker that refuses to start
because its sandbox cannot run writes a refusal with a TTL instead, so the reason stays
visible for a while after it exits.
"""

from __future__ import annotations

import json

import redis

from common.records import KEYS

REFUSAL_TTL_S = 600


def state_key(worker: str) -> str:
    return f"{KEYS.prefix}sandbox:{worker}"


def refusal_key(worker: str) -> str:
    return f"{KEYS.prefix}sandbox-refused:{worker}"


def publish(client: redis.Redis, worker: str, state: dict) -> None:
    """Record the sandbox ``worker`` grades with (it clears an earlier refusal)."""
    client.set(state_key(worker), json.dumps(state))
    client.delete(refusal_key(worker))


def withdraw(client: redis.Redis, worker: str) -> None:
    """Forget ``worker``'s state (it stops)."""
    client.delete(state_key(worker))


def refuse(client: redis.Redis, worker: str, state: dict, ttl_s: int = REFUSAL_TTL_S) -> None:
    """Record that ``worker`` would not start: its sandbox cannot run (``state['problem']``)."""
    client.set(refusal_key(worker), json.dumps(state), ex=ttl_s)


def read(client: redis.Redis, live: set[str]) -> dict[str, dict]:
    """Return worker name -> state, for the ``live`` workers and recent refusals."""
    names = sorted(live)
    found = client.mget([state_key(name) for name in names]) if names else []
    states = {name: _load(raw) for name, raw in zip(names, found, strict=True) if raw}
    prefix = refusal_key("")
    for key in client.scan_iter(match=f"{prefix}*", count=100):
        raw = client.get(key)
        name = key[len(prefix) :]  # the client decodes responses (common.records.connect)
        if raw and name not in states:
            states[name] = _load(raw)
    return states


def live_names(client: redis.Redis, queues: tuple[str, ...]) -> set[str]:
    """Names of the workers in the queues' sets (call common.heartbeats.live_workers first:
    it removes the ones whose heartbeat expired)."""
    names: set[str] = set()
    for queue in queues:
        names |= set(client.smembers(KEYS.workers(queue)))
    return names


def _load(raw: str | bytes) -> dict:
    try:
        state = json.loads(raw)
    except ValueError:
        return {"mode": "unknown", "layers": {}, "problem": "unreadable state"}
    return state if isinstance(state, dict) else {"mode": "unknown", "layers": {}, "problem": None}
