"""Worker side: Celery app and tasks, the sandbox that runs student code, the grading pipeline."""
