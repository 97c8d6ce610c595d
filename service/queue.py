"""Enqueue grading by task name with a bare Celery client: the web never imports the worker."""

from __future__ import annotations

from celery import Celery

from common.contracts import GRADE_TASK, GradeTask
from common.records import queue_for


class GradingQueue:
    """Publishes grading tasks to the ``cpu`` / ``gpu`` queues (JSON messages only)."""

    def __init__(self, broker_url: str, timeout_s: float) -> None:
        self.celery = Celery("autograder-web", broker=broker_url, set_as_current=False)
        self.celery.conf.update(
            task_serializer="json",
            accept_content=["json"],
            broker_connection_timeout=timeout_s,
            broker_transport_options={
                "socket_connect_timeout": timeout_s,
                "socket_timeout": timeout_s,
            },
        )
        # One reconnect attempt covers a pooled connection gone stale while Redis restarted;
        # if Redis is really down the publish fails fast and the caller answers 503.
        self.retry_policy = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}

    def enqueue(self, submission_id: str, device: str) -> None:
        """Send ``autograder.grade(submission_id)`` to the queue that grades on ``device``."""
        # The task id is the submission id, so worker logs name the submission.
        message = GradeTask(submission_id=submission_id).model_dump()
        self.send(GRADE_TASK, message, queue_for(device), task_id=submission_id)

    def send(
        self, task_name: str, kwargs: dict, queue: str = "cpu", task_id: str | None = None
    ) -> None:
        """Send any worker task by name (e.g. a callback delivery) with the same policy."""
        self.celery.send_task(
            task_name,
            kwargs=kwargs,
            queue=queue,
            task_id=task_id,
            retry=True,
            retry_policy=self.retry_policy,
        )
