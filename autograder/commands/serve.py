"""``autograder serve``: the whole service on this machine, no Docker (Ctrl-C stops it)."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``serve`` subcommand."""
    parser = subparsers.add_parser(
        "serve",
        help="run Redis, a worker and the API here",
        description="Start redis-server (AOF, data under --data-dir), one grading worker and "
        "the API; print the URL and an admin key. Ctrl-C stops everything.",
    )
    parser.add_argument("--host", help="default AUTOGRADER_HOST or 127.0.0.1")
    parser.add_argument("--port", type=int, help="default AUTOGRADER_PORT or 8000")
    parser.add_argument("--data-dir", type=Path, help="default AUTOGRADER_DATA_DIR or .autograder")
    parser.add_argument("--dev", action="store_true", help="Flask's dev server, not gunicorn")
    parser.add_argument(
        "--gpu",
        choices=("auto", "yes", "no"),
        default="auto",
        help="also consume the gpu queue (auto: if torch sees CUDA)",
    )
    parser.set_defaults(func=run)


def admin_key_line(client, data_dir: Path | None = None) -> str:
    """Return the line about the admin key, creating one on the first start."""
    import shlex

    from common.settings import Settings
    from service.keys import ALL_COURSES, KeyStore

    if Settings().admin_key is not None:
        return "admin key: the one in AUTOGRADER_ADMIN_KEY"
    keys = KeyStore(client)
    if keys.has_admin():
        where = shlex.quote(str(data_dir)) if data_dir is not None else "DIR"
        return (
            "admin key: the one printed on the first start (stored hashed); another: "
            f"autograder keys --data-dir {where} create --role admin --course '*'"
        )
    secret, _ = keys.create("admin", ALL_COURSES, name="created by serve")
    return f"admin key: {secret}   (shown once: keep it)"


def running_pids(state: dict | None) -> list[int]:
    """Return the pids a previous serve recorded that are still alive (none if it stopped)."""
    import os

    alive = []
    for pid in [state["pid"], *state["pids"].values()] if state else []:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        except PermissionError:  # alive, under another user
            pass
        if not zombie(pid):  # dead, and not reaped (its new parent may never reap it)
            alive.append(pid)
    return alive


def zombie(pid: int) -> bool:
    """Whether ``pid`` has exited and waits to be reaped (Linux /proc; False elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def sandbox_isolation(mode: str):
    """The isolation grading gets here (worker.sandbox.host.isolation); warn loudly if none."""
    from worker.sandbox.host.isolation import NO_ISOLATION, probe

    isolation = probe(mode)
    if isolation.mode == "process":
        print(f"WARNING: {NO_ISOLATION}", file=sys.stderr, flush=True)
    return isolation


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    """Run the embedded service until SIGINT/SIGTERM; return the exit status."""
    from autograder.embedded import Embedded, cuda_check, read_state
    from common.settings import Settings

    settings = Settings()
    isolation = sandbox_isolation(settings.sandbox)
    if isolation.problem:
        print(f"serve: {isolation.summary()}", file=sys.stderr)
        return 1
    args.host = args.host or settings.host
    args.port = settings.port if args.port is None else args.port
    args.data_dir = args.data_dir or settings.data_dir
    args.data_dir.mkdir(parents=True, exist_ok=True)
    (args.data_dir / "logs").mkdir(exist_ok=True)
    running = running_pids(read_state(args.data_dir))
    if running:
        print(
            f"serve: another serve uses {args.data_dir} (pids {running}); stop it with "
            f"`autograder stop --data-dir {args.data_dir}`",
            file=sys.stderr,
        )
        return 2
    # SIGINT too: a shell that starts serve in the background makes it ignore SIGINT.
    # SIGHUP: a dropped SSH session stops serve and its children like a Ctrl-C.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    cuda = cuda_check() if args.gpu == "auto" else None
    service = Embedded(args.data_dir, args.host, args.port, args.dev)
    try:
        client = service.start_redis()
        key_line = admin_key_line(client, args.data_dir.resolve())
        gpu = args.gpu == "yes" or (cuda is not None and cuda.wait() == 0)
        service.start_app("cpu,gpu" if gpu else "cpu")
        service.wait_ready(client)
        print(f"autograder is running at {service.url}  (API docs: {service.url}/docs)")
        print(key_line)
        print(isolation.summary())
        print(f"logs: {service.data_dir / 'logs'}   Ctrl-C stops it.", flush=True)
        service.watch()
    except KeyboardInterrupt:
        print("stopping...", flush=True)
    except RuntimeError as exc:
        print(f"serve: {exc}", file=sys.stderr)
        return 1
    finally:
        service.stop()
    print("stopped.", flush=True)
    return 0
