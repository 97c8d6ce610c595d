"""Real processes for the fault suite: a restartable redis-server, Celery workers, the API.

Each fault test builds its own :class:`Cluster` (its own Redis on its own port and data
folder), because the tests stop, kill and restart what they are given. Workers log at
INFO so every run of the grading task leaves a line naming the submission and its outcome
(the task id is the submission id): that log is one witness of "graded exactly once".
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import redis
from live_services import RedisServer, wait_until

from common.heartbeats import live_workers
from common.records import KEYS, connect

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # bench/ is not installed; plain `pytest` lacks the cwd
    sys.path.append(str(REPO))
FIXTURES = REPO / "tests" / "fixtures" / "submissions"
CORPUS = REPO / "bench" / "corpus"
ADMIN_KEY = "fault-suite-admin-key-0123456789"
AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}
FINAL = ("graded", "not_gradable", "failed")
START_TIMEOUT_S = 120
_TASK_LINE = re.compile(r"Task autograder\.grade\[([^\]]+)\] succeeded in [0-9.e-]+s: '(\w+)'")

# Short limits so that a lost message's redelivery (visibility timeout) comes round within
# a test, not in minutes. The grading lock keeps its production TTL (lock_ttl_s, 30 s,
# renewed while a run lives): a killed run's submission waits for it as it would in
# production.
WORKER_ENV = {
    "AUTOGRADER_HEARTBEAT_INTERVAL_S": "0.5",
    "AUTOGRADER_HEARTBEAT_TTL_S": "3",
    "AUTOGRADER_TASK_SOFT_TIME_LIMIT_S": "8",
    "AUTOGRADER_TASK_TIME_LIMIT_S": "10",
    "AUTOGRADER_VISIBILITY_TIMEOUT_S": "20",
    "AUTOGRADER_RETRY_BACKOFF_S": "0.5",
    "AUTOGRADER_RETRY_BACKOFF_MAX_S": "2",
    # Self-healing within a test's time: a stalled worker exits after 10 s (the supervisor,
    # Cluster's as serve's, starts a fresh one); orphans are swept every 2 s.
    "AUTOGRADER_STALL_THRESHOLD_S": "10",
    "AUTOGRADER_SWEEP_INTERVAL_S": "2",
}
EXIT_STALLED = 75  # worker.watchdog.EXIT_STALLED, without importing the worker here


class Redis(RedisServer):
    """The shared restartable redis-server, with this test's one client (it reconnects by
    itself after a restart) and a longer start-up guard for AOF replays."""

    start_timeout_s = 30.0
    appendfsync = "always"  # as `serve` and compose: a 202 survives a kill -9 of Redis

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self._client: redis.Redis | None = None

    def client(self) -> redis.Redis:
        if self._client is None:
            self._client = connect(self.url, timeout_s=2)
        return self._client

    def stop(self, sig: int = signal.SIGTERM) -> None:
        super().stop(sig)
        if self._client is not None:
            self._client.close()


class Worker:
    """One ``autograder worker`` process (Celery prefork) logging at INFO to its own file."""

    def __init__(self, redis_url: str, log_path: Path, name: str, concurrency: int = 2) -> None:
        self.redis_url, self.log_path, self.name = redis_url, log_path, name
        self.concurrency = concurrency
        self.process: subprocess.Popen | None = None

    def start(self, **env: str) -> Worker:
        """Start it and return once it heart-beats and has published the catalog."""
        child_env = {**os.environ, "AUTOGRADER_REDIS_URL": self.redis_url, **WORKER_ENV, **env}
        argv = [sys.executable, "-m", "autograder.cli", "worker", "--queues", "cpu"]
        argv += ["--concurrency", str(self.concurrency), "--name", self.name]
        argv += ["--loglevel", "INFO"]
        log = open(self.log_path, "ab")  # noqa: SIM115 (the child keeps it)
        self.process = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, env=child_env, start_new_session=True
        )
        log.close()
        client = connect(self.redis_url, timeout_s=2)

        def ready() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"the worker exited ({self.process.returncode}); see log")
            return live_workers(client)["cpu"] > 0 and bool(client.hlen(KEYS.catalog))

        try:
            wait_until(ready, START_TIMEOUT_S, "the worker's heartbeat and catalog", 0.2)
        finally:
            client.close()
        return self

    def redis_addresses(self, redis_port: int) -> list[str]:
        """'127.0.0.1:PORT' of each connection the worker's main process holds to Redis (the
        broker's among them), as Redis's CLIENT LIST names them."""
        inodes = set()
        for fd in Path(f"/proc/{self.process.pid}/fd").iterdir():
            target = os.readlink(fd) if fd.is_symlink() else ""
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        found = []
        for line in Path(f"/proc/{self.process.pid}/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            if inode in inodes and int(remote.split(":")[1], 16) == redis_port:
                found.append(f"127.0.0.1:{int(local.split(':')[1], 16)}")
        return found

    def pool_pids(self) -> list[int]:
        """The prefork pool's processes: the worker's direct children that are Python."""
        return [pid for pid in children(self.process.pid) if _is_python(pid)]

    def kill_all(self) -> None:
        """SIGKILL the worker's whole process group (main, pool, sandboxes): a crash."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(30)

    def stop(self, timeout_s: float = 60) -> None:
        """Warm shutdown (SIGTERM), then a kill of the group if it hangs or left children."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(30)

    def outcomes(self) -> dict[str, Counter]:
        """Per submission id, how many runs of the grading task ended with each outcome."""
        found: dict[str, Counter] = {}
        for match in _TASK_LINE.finditer(self.log_path.read_text(errors="replace")):
            found.setdefault(match.group(1), Counter())[match.group(2)] += 1
        return found


def children(pid: int) -> list[int]:
    """The direct children of ``pid`` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    return found


def _is_python(pid: int) -> bool:
    try:
        return "python" in Path(f"/proc/{pid}/comm").read_text()
    except OSError:
        return False


def stored_results(outcomes: dict[str, Counter], ids: list[str]) -> dict[str, int]:
    """For each id, how many runs stored a result (graded / not_gradable / failed)."""
    return {i: sum(outcomes.get(i, Counter())[name] for name in FINAL) for i in ids}
