"""Start and stop the embedded service (``autograder serve``) for a load run.

The service runs as it would for an instructor: ``autograder serve`` on a loopback port
with its own data folder (redis-server with AOF, one Celery worker, gunicorn). The load run
passes an admin key and any setting overrides through ``AUTOGRADER_*`` variables, and reads
``serve.json`` for the Redis URL (to count finished results) and the pid (to sample memory).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder.embedded import free_port
from bench._http import Client

START_TIMEOUT_S = 240.0


class ServiceStartError(RuntimeError):
    """The embedded service did not become ready."""


@dataclass
class EmbeddedService:
    """One ``autograder serve`` process and what the load run needs to know about it."""

    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    key: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    process: subprocess.Popen | None = None
    redis_url: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def worker_log(self) -> Path:
        return self.data_dir / "logs" / "worker.log"

    def start(self, timeout_s: float = START_TIMEOUT_S) -> EmbeddedService:
        """Start the service and return once /readyz says it can grade."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        env = {**os.environ, **self.env, "AUTOGRADER_ADMIN_KEY": self.key}
        argv = [sys.executable, "-m", "autograder.cli", "serve", "--port", str(self.port)]
        argv += ["--data-dir", str(self.data_dir), "--gpu", "no"]
        log = open(self.data_dir / "serve.out", "ab")  # noqa: SIM115 (the child keeps it)
        self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)
        log.close()
        client = Client(self.url, self.key)
        deadline = time.monotonic() + timeout_s
        while not client.wait_ready(1.0):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = (self.data_dir / "serve.out").read_text(errors="replace")[-2000:]
                raise ServiceStartError(f"autograder serve did not become ready:\n{tail}")
        state = json.loads((self.data_dir / "serve.json").read_text())
        self.redis_url = state["redis_url"]
        return self

    def stop(self, timeout_s: float = 60.0) -> None:
        """Stop the service as Ctrl-C would (it stops API, worker, Redis in order)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> EmbeddedService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
