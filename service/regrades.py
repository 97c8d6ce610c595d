"""Start a regrade from the staff pages: a job id, its progress record, and the task sent
by name to the workers (the web side never imports worker/)."""

from __future__ import annotations

import secrets

from common.contracts import REGRADE_TASK, RegradeTask
from common.regrade_jobs import RegradeProgress, save_progress
from service.context import Services


def start_regrade(
    ctx: Services, course: str, assignment: str, submission_ids: list[str] | None = None
) -> RegradeProgress:
    """Record a queued job and enqueue ``autograder.regrade`` for it; return its progress.

    ``submission_ids`` None: every finished submission of the assignment in the course.
    """
    job_id = secrets.token_hex(8)
    total = len(submission_ids) if submission_ids is not None else 0  # the worker counts
    progress = RegradeProgress(
        job_id=job_id, state="queued", course=course, assignment=assignment, total=total
    )
    save_progress(ctx.redis, progress)
    message = RegradeTask(
        job_id=job_id, course=course, assignment=assignment, submission_ids=submission_ids
    )
    ctx.queue.send(REGRADE_TASK, message.model_dump(), "cpu", task_id=f"regrade-{job_id}")
    return progress
