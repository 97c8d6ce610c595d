#!/opt/venv/bin/python
"""Container healthchecks, installed in the image as ``autograder-healthcheck``.

    autograder-healthcheck api      # GET /healthz on this container's API port answers 200
    autograder-healthcheck worker   # this container's worker heart-beats in Redis

Exit status 0 means healthy, 1 unhealthy (with one line on stderr saying why), as Docker's
HEALTHCHECK expects. Only the standard library is imported for ``api`` so that the check
stays cheap; ``worker`` needs Celery and the worker's app.
"""

from __future__ import annotations

import os
import socket
import sys
import urllib.error
import urllib.request

TIMEOUT_S = 4.0  # below the compose healthcheck timeout (5 s), so we report, not get killed


def check_api() -> str | None:
    """Return None if the API in this container answers GET /healthz with 200, else why."""
    port = os.environ.get("AUTOGRADER_PORT", "8000")
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            status = response.status
    except (urllib.error.URLError, OSError) as exc:
        return f"{url}: {exc}"
    return None if status == 200 else f"{url}: HTTP {status}"


def check_worker() -> str | None:
    """Return None if this container's worker heart-beats in Redis for some queue, else why.

    Workers renew ``heartbeat:<queue>:<name>`` keys while they consume (worker/celery_app.py);
    this reads the same keys /readyz counts, so no broadcast ping loads every worker. The
    container's hostname is its id and Celery's node name is ``<prefix>@<hostname>``, so each
    replica of a scaled service checks only itself.
    """
    from common.records import KEYS, QUEUES, connect  # the worker's own key layout
    from common.settings import Settings

    host = socket.gethostname()
    try:
        client = connect(Settings().redis_url, timeout_s=TIMEOUT_S)
        for queue in QUEUES:
            for name in client.smembers(KEYS.workers(queue)):
                if name.rpartition("@")[2] == host and client.exists(KEYS.heartbeat(queue, name)):
                    return None
    except Exception as exc:  # Redis away or misconfigured: unhealthy
        return f"redis: {type(exc).__name__}: {exc}"
    return f"no heartbeat from a worker on {host}"


CHECKS = {"api": check_api, "worker": check_worker}


def main(argv: list[str]) -> int:
    """Run the check named in ``argv[1]``; return the exit status."""
    if len(argv) != 2 or argv[1] not in CHECKS:
        print(f"usage: autograder-healthcheck {{{'|'.join(CHECKS)}}}", file=sys.stderr)
        return 2
    problem = CHECKS[argv[1]]()
    if problem:
        print(f"unhealthy: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
