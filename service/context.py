"""The clients one app instance uses, built once by the factory and found via current_app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import redis
from flask import current_app

from common.records import connect, utcnow
from common.settings import Settings
from service.keys import KeyStore
from service.queue import GradingQueue
from service.store import SubmissionStore

EXTENSION = "autograder"


@dataclass
class Services:
    """Settings and clients of one app; nothing here connects until first used."""

    settings: Settings
    redis: redis.Redis
    store: SubmissionStore
    keys: KeyStore
    queue: GradingQueue
    started_at: datetime

    @classmethod
    def build(cls, settings: Settings) -> Services:
        """Build the clients for ``settings`` (no I/O: Redis and the broker connect lazily)."""
        client = connect(settings.redis_url, timeout_s=settings.redis_timeout_s)
        retention_s = settings.retention_days * 86400 if settings.retention_days else None
        return cls(
            settings=settings,
            redis=client,
            store=SubmissionStore(client, retention_s),
            keys=KeyStore(client),
            queue=GradingQueue(settings.redis_url, timeout_s=settings.redis_timeout_s),
            started_at=utcnow(),
        )

    def closers(self) -> list:
        """Functions that close this app's connections (Redis pool, broker pool)."""
        return [self.redis.close, self.queue.celery.close]


def services() -> Services:
    """Return the current app's services."""
    return current_app.extensions[EXTENSION]
