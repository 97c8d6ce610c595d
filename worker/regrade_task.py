"""The task ``autograder.regrade``: regrade an assignment's submissions in one course (the
staff pages' "regrade" buttons), recording progress for the page to poll.

It runs worker/regrade.py, the code ``autograder regrade`` runs, in a pool process with the
same memory cap as grading. No task time limit: the sandbox bounds each submission, and a
class is graded one submission after the other.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from celery import Celery

from common.contracts import REGRADE_TASK, RegradeTask
from common.regrade_jobs import RegradeProgress, load_progress, save_progress
from common.settings import Settings
from worker import ags, memory_cap
from worker.connections import redis_client
from worker.regrade import Summary, regrade

log = logging.getLogger(__name__)


def run_job(
    client,
    message: RegradeTask,
    settings: Settings,
    on_changed: Callable[[str], object] | None = None,
) -> RegradeProgress:
    """Regrade what ``message`` names, saving progress after each submission; call
    ``on_changed(submission_id)`` for each submission whose score changed."""
    progress = load_progress(client, message.job_id) or RegradeProgress(
        job_id=message.job_id, state="queued", course=message.course, assignment=message.assignment
    )
    progress.state = "running"
    save_progress(client, progress)

    def report(done: int, summary: Summary) -> None:
        progress.total, progress.done, progress.failed = summary.total, done, summary.errors
        progress.changed = len(summary.changed)
        save_progress(client, progress)

    try:
        summary = regrade(
            client, message.assignment, message.course, report, settings, message.submission_ids
        )
    except Exception:
        log.exception("regrade job %s failed on our side", message.job_id)
        progress.state = "failed"
        save_progress(client, progress)
        raise
    report(summary.total, summary)
    for change in summary.changed if on_changed is not None else ():
        on_changed(change["id"])
    progress.state = "done"
    save_progress(client, progress)
    return progress


def register(app: Celery, settings: Settings) -> None:
    """Register the regrade task on ``app``."""

    @app.task(name=REGRADE_TASK, acks_late=True)
    def regrade_task(**kwargs) -> str:
        message = RegradeTask.model_validate(kwargs)
        memory_cap.apply(settings.worker_memory_mb)
        client = redis_client(settings.redis_url)

        def pass_back(submission_id: str) -> None:  # a changed grade goes to the LMS too
            ags.enqueue_passback(app, client, submission_id)

        return run_job(client, message, settings, pass_back).state
