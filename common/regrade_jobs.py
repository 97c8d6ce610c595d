"""Progress of a regrade job, shared by the page that starts it (service/) and the worker
that runs it (worker/regrade_task.py): one Redis hash per job, kept a day.

Fields: ``state`` (queued, running, done, failed), ``total``, ``done`` (submissions
processed), ``failed`` (grading failed on our side: the old result kept), ``changed``
(scores that moved), ``course``, ``assignment``.
"""

from __future__ import annotations

import redis
from pydantic import BaseModel, Field

from common.records import KEYS

JOB_TTL_S = 24 * 3600


class RegradeProgress(BaseModel):
    """A regrade job as the staff page polls it."""

    job_id: str
    state: str = Field(description="queued, running, done or failed.")
    course: str
    assignment: str
    total: int = 0
    done: int = 0
    failed: int = 0
    changed: int = 0

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")


def save_progress(client: redis.Redis, progress: RegradeProgress) -> None:
    """Store (replace) a job's progress."""
    key = KEYS.regrade_job(progress.job_id)
    fields = {name: str(value) for name, value in progress.model_dump().items()}
    pipe = client.pipeline(transaction=True)
    pipe.hset(key, mapping=fields)
    pipe.expire(key, JOB_TTL_S)
    pipe.execute()


def load_progress(client: redis.Redis, job_id: str) -> RegradeProgress | None:
    """Return a job's progress, or None if there is no such job (or it expired)."""
    fields = client.hgetall(KEYS.regrade_job(job_id))
    return RegradeProgress.model_validate(fields) if fields else None
