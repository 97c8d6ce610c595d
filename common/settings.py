"""One typed settings object per process, read from ``AUTOGRADER_*`` environment variables."""

from __future__ import annotations

import ipaddress
import json
import os
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from common import sandbox_defaults as sd


class Settings(BaseSettings):
    """Every setting of the service and workers, with its default.

    Each field ``foo`` is read from ``AUTOGRADER_FOO``. Build one per process (in the app
    factory or the worker's start) and pass it down; tests construct their own.
    The README's Settings table lists them all (a test checks it); add a row with each new one.
    """

    model_config = SettingsConfigDict(env_prefix="AUTOGRADER_", extra="ignore")

    redis_url: str = Field("redis://127.0.0.1:6379/0", description="Broker, store and limiter.")
    data_dir: Path = Field(Path(".autograder"), description="Embedded mode: Redis data and logs.")
    packs: Annotated[list[Path], NoDecode] = Field(
        default_factory=list,
        description="Folders of assignment packs besides the built-in ones, separated by "
        "os.pathsep (':' on Linux) like PATH, or a JSON list.",
    )
    sandbox: str = Field(
        sd.SANDBOX, description="'bwrap' (full sandbox), 'process' (child process only), or 'auto'."
    )

    # --- sandbox limits (defaults in common/sandbox_defaults.py; a pack may override the
    # per-submission ones in its `limits`, see reference.pack.SandboxLimits) ---------------
    sandbox_memory_mb: int = Field(
        sd.SANDBOX_MEMORY_MB,
        ge=64,
        description="Memory one sandbox child may add above the zygote, MiB.",
    )
    sandbox_cpu_s: int = Field(
        sd.SANDBOX_CPU_S, ge=1, description="CPU seconds of one submission's child."
    )
    sandbox_submission_s: float = Field(
        sd.SANDBOX_SUBMISSION_S,
        gt=0,
        description="Wall-clock budget of one submission's run in the sandbox, s.",
    )
    sandbox_import_s: float = Field(
        sd.SANDBOX_IMPORT_S,
        gt=0,
        description="Wall-clock budget for running the file's top level, s.",
    )
    sandbox_call_s: float = Field(
        sd.SANDBOX_CALL_S,
        gt=0,
        description="Time limit of one graded call where the pack sets none, s.",
    )
    sandbox_scratch_mb: int = Field(
        sd.SANDBOX_SCRATCH_MB,
        ge=1,
        description="Size of the sandbox's scratch tmpfs (all children of a zygote).",
    )
    sandbox_cgroup_memory_mb: int = Field(
        sd.SANDBOX_CGROUP_MEMORY_MB,
        ge=256,
        description="Memory cap of a worker's sandbox cgroup, MiB (cgroup v2).",
    )
    sandbox_uid: int = Field(
        sd.SANDBOX_UID,
        ge=1,
        description="Host uid (and gid) of sandboxed processes when the worker runs as root.",
    )
    worker_memory_mb: int = Field(
        sd.WORKER_MEMORY_MB,
        ge=0,
        description="Memory of one grading process itself (not its sandbox), MiB; 0: no cap.",
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
    # --- web pages (issues 13, 14): signed session cookies ------------------------------
    secret_key: SecretStr | None = Field(
        None,
        description="Signs session cookies and CSRF tokens; unset: one is made at first "
        "start and kept in Redis (shared by every API process).",
    )
    session_hours: float = Field(
        8.0, gt=0, le=24 * 30, description="How long a page session (student or staff) lasts."
    )
    max_submissions_per_student: int = Field(
        0, ge=0, description="Cap per student per assignment per course; 0: no cap."
    )
    rate_limits_enabled: bool = Field(True, description="Turn the request rate limits off.")
    rate_limit_per_key: str = Field(
        "1200/minute",
        description="Requests per API key, or per signed-in page visitor (flask-limiter syntax).",
    )
    rate_limit_per_student: str = Field(
        "20/minute", description="Submissions per student id per API key, or per launched student."
    )
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
    lock_ttl_s: float = Field(
        30.0, gt=0, description="A grading lock not renewed this long is free (its worker died)."
    )
    heartbeat_interval_s: float = Field(5.0, gt=0, description="How often a worker says alive.")
    heartbeat_ttl_s: float = Field(
        20.0, gt=0, description="A worker silent this long no longer counts for /readyz."
    )
    stall_threshold_s: float = Field(
        30.0,
        ge=0,
        description="A worker with a free slot whose queue has had tasks waiting this long, "
        "none of them taken by it, exits for its supervisor to restart it; 0: never.",
    )
    sweep_interval_s: float = Field(
        30.0,
        ge=0,
        description="How often a worker looks for orphaned records (one worker at a time); "
        "an orphan seen twice in a row is enqueued again; 0: never.",
    )
    gpu_memory_fraction: float = Field(
        sd.GPU_MEMORY_FRACTION,
        gt=0,
        le=1,
        description="Share of each GPU's memory one CUDA child may allocate.",
    )
    gpu_memory_mb: int = Field(
        sd.GPU_MEMORY_MB,
        ge=0,
        description="Absolute cap on one CUDA child's GPU memory, MiB; 0: none.",
    )

    # --- LMS integration (issue 5): signed webhooks and grade callbacks ---------------------
    public_url: str | None = Field(
        None,
        description="The API's base URL as an LMS reaches it (links in callbacks); "
        "default http://HOST:PORT.",
    )
    webhook_tolerance_s: int = Field(
        300, ge=1, le=3600, description="Largest clock difference accepted on a signed webhook."
    )
    callback_allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Hosts callbacks may go to ('lms.example.edu', '*.example.edu'), comma-"
        "separated or a JSON list; empty: any host with a public address.",
    )
    callback_allow_private: bool = Field(
        False, description="Also allow private (RFC 1918, unique local) and loopback addresses."
    )
    callback_allowed_networks: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="CIDR blocks callbacks may reach whatever their kind, e.g. '10.2.0.0/16'.",
    )
    callback_max_tries: int = Field(8, ge=1, le=50, description="Delivery tries of a callback.")
    callback_base_delay_s: float = Field(
        10.0, gt=0, description="Backoff base: the wait after try n is random in [0, base*2^(n-1))."
    )
    callback_max_delay_s: float = Field(
        240.0, gt=0, description="Longest wait between tries (kept under visibility_timeout_s)."
    )
    callback_timeout_s: float = Field(
        5.0, gt=0, le=60, description="Connect and read timeout of one callback POST."
    )

    @field_validator("callback_allowed_hosts", "callback_allowed_networks", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        """Accept 'a,b' as well as '["a", "b"]' from the environment."""
        if isinstance(value, str):
            text = value.strip()
            return (
                json.loads(text)
                if text.startswith("[")
                else [item.strip() for item in text.split(",") if item.strip()]
            )
        return value

    @field_validator("packs", mode="before")
    @classmethod
    def _split_paths(cls, value: object) -> object:
        """Accept 'a:b' (os.pathsep, as PATH) as well as '["a", "b"]' from the environment."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [item for item in text.split(os.pathsep) if item.strip()]
        return value

    @field_validator("callback_allowed_networks")
    @classmethod
    def _check_networks(cls, value: list[str]) -> list[str]:
        for network in value:
            ipaddress.ip_network(network, strict=False)  # ValueError names the bad one
        return value

    @classmethod
    def defaults(cls) -> Settings:
        """The settings as the code sets them, whatever the environment says (tests, tools)."""
        return cls.model_construct()

    def public_base_url(self) -> str:
        """Return the API's base URL for links sent to an LMS."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")
