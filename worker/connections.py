"""The worker process's Redis client, shared by its tasks (one pool per URL)."""

from __future__ import annotations

from functools import cache

import redis

from common.records import connect


@cache
def redis_client(url: str) -> redis.Redis:
    """Return this process's Redis client (redis-py reopens its pool after a fork)."""
    return connect(url)
