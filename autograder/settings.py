"""One typed settings object per process, read from ``AUTOGRADER_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting of the service and workers, with its default.

    Each field ``foo`` is read from ``AUTOGRADER_FOO``. Build one per process (in the app
    factory or the worker's start) and pass it down; tests construct their own.
    docs/service.md lists them all; keep it in step when adding one.
    """

    model_config = SettingsConfigDict(env_prefix="AUTOGRADER_", extra="ignore")

    redis_url: str = Field("redis://127.0.0.1:6379/0", description="Broker, store and limiter.")
    data_dir: Path = Field(Path(".autograder"), description="Embedded mode: Redis data and logs.")
    sandbox: str = Field(
        "auto", description="'bwrap' (full sandbox), 'process' (child process only), or 'auto'."
    )

    # --- service (issue 4) -------------------------------------------------------------
    host: str = Field("127.0.0.1", description="Address the API binds (`api`, `serve`).")
    port: int = Field(8000, ge=0, le=65535, description="Port the API binds.")
    admin_key: SecretStr | None = Field(
        None, description="An admin API key accepted without a Redis lookup (all courses)."
    )
    max_upload_bytes: int = Field(1024 * 1024, gt=0, description="Largest submission file.")
    retention_days: float | None = Field(
        None, gt=0, description="Delete submissions this many days after receipt; None: keep."
    )
    max_submissions_per_student: int = Field(
        0, ge=0, description="Cap per student per assignment per course; 0: no cap."
    )
    rate_limits_enabled: bool = Field(True, description="Turn the request rate limits off.")
    rate_limit_per_key: str = Field(
        "1200/minute", description="Requests per API key (flask-limiter syntax)."
    )
    rate_limit_per_student: str = Field(
        "20/minute", description="Submissions per student id per API key."
    )
    long_poll_max_s: int = Field(30, ge=0, le=300, description="Largest ?wait= on a submission.")
    redis_timeout_s: float = Field(
        2.0, gt=0, description="Connect/read timeout of the web side's Redis calls."
    )
    unavailable_retry_after_s: int = Field(
        5, ge=1, description="Retry-After sent with 503 when Redis cannot be reached."
    )
    api_workers: int = Field(2, ge=1, description="gunicorn worker processes.")
    api_threads: int = Field(8, ge=1, description="Threads per gunicorn worker (long polls).")

    # --- workers -------------------------------------------------------------------------
    worker_concurrency: int | None = Field(
        None, ge=1, description="Celery worker processes; None: one per CPU."
    )
    task_soft_time_limit_s: int = Field(
        150, ge=1, description="Grading run past this: stopped and marked failed (ours)."
    )
    task_time_limit_s: int = Field(180, ge=1, description="Hard kill of a grading run.")
    visibility_timeout_s: int = Field(
        300, ge=1, description="An unacknowledged task is redelivered after this (worker died)."
    )
    task_max_retries: int = Field(
        3, ge=0, description="Retries of a grading run after our own failures."
    )
    retry_backoff_s: float = Field(2.0, gt=0, description="First retry delay; doubles each time.")
    retry_backoff_max_s: float = Field(60.0, gt=0, description="Longest retry delay.")
    heartbeat_interval_s: float = Field(5.0, gt=0, description="How often a worker says alive.")
    heartbeat_ttl_s: float = Field(
        20.0, gt=0, description="A worker silent this long no longer counts for /readyz."
    )
