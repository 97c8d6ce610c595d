"""One typed settings object per process, read from ``AUTOGRADER_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting of the service and workers, with its default.

    Each field ``foo`` is read from ``AUTOGRADER_FOO``. Build one per process (in the app
    factory or the worker's start) and pass it down; tests construct their own.
    """

    model_config = SettingsConfigDict(env_prefix="AUTOGRADER_", extra="ignore")

    redis_url: str = Field("redis://127.0.0.1:6379/0", description="Broker, store and limiter.")
    data_dir: Path = Field(Path(".autograder"), description="Embedded mode: Redis data and logs.")
    sandbox: str = Field(
        "auto", description="'bwrap' (full sandbox), 'process' (child process only), or 'auto'."
    )
