"""``autograder worker``: a Celery worker that grades (the process docker runs per worker)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``worker`` subcommand."""
    parser = subparsers.add_parser(
        "worker",
        help="run a grading worker (Celery)",
        description="Consume grading tasks from Redis (AUTOGRADER_REDIS_URL).",
    )
    parser.add_argument(
        "--queues",
        default="cpu",
        help="comma-separated: cpu, gpu; 'auto' = cpu, plus gpu if torch sees CUDA (default cpu)",
    )
    parser.add_argument(
        "--concurrency", type=int, help="grading processes (default AUTOGRADER_WORKER_CONCURRENCY)"
    )
    parser.add_argument("--name", default="autograder@%h", help="worker name (default %(default)s)")
    parser.add_argument("--loglevel", default="INFO")
    parser.set_defaults(func=run)


def resolve_queues(spec: str) -> list[str]:
    """Return the queue names of ``spec`` ('auto' asks a child process about CUDA)."""
    from autograder.embedded import cuda_check
    from common.records import QUEUES

    if spec == "auto":
        return ["cpu", "gpu"] if cuda_check().wait() == 0 else ["cpu"]
    queues = [name.strip() for name in spec.split(",") if name.strip()]
    unknown = sorted(set(queues) - set(QUEUES))
    if not queues or unknown:
        raise SystemExit(f"autograder worker: unknown queue(s) {unknown}; use cpu and/or gpu")
    return queues


def refuse_without_sandbox(settings, name: str) -> bool:
    """True (after saying why, on stderr and in Redis for /readyz) if this worker must not
    start: its sandbox mode cannot run here. ``auto`` never grades without isolation."""
    import socket
    import sys

    from worker.sandbox.host.isolation import probe

    isolation = probe(settings.sandbox)
    if isolation.problem is None:
        return False
    print(f"autograder worker: {isolation.summary()}", file=sys.stderr, flush=True)
    try:
        from common import sandbox_state
        from common.records import connect

        worker = name.replace("%h", socket.gethostname())
        sandbox_state.refuse(connect(settings.redis_url, timeout_s=2), worker, isolation.as_dict())
    except Exception as exc:  # noqa: BLE001 - Redis away: stderr already says why
        print(f"autograder worker: could not record the refusal in Redis: {exc}", file=sys.stderr)
    return True


def broken_packs(settings) -> bool:
    """True (after saying why on stderr) if the packs cannot all be read: a worker that
    started anyway would publish a catalog without them."""
    import sys

    from autograder.packs import configure_packs, pack_errors
    from reference.packs import list_packs

    try:
        configure_packs(settings)
        list_packs()
    except pack_errors() as exc:
        print(f"autograder worker: {exc}", file=sys.stderr, flush=True)
        return True
    return False


def run(args: argparse.Namespace) -> int:
    """Run the worker until it is stopped; return the exit status."""
    from common.settings import Settings
    from worker.celery_app import make_celery
    from worker.watchdog import EXIT_STALLED, restart_requested

    settings = Settings()
    if refuse_without_sandbox(settings, args.name):
        return 78  # EX_CONFIG: nothing to retry until the host or the setting changes
    if broken_packs(settings):
        return 78
    queues = resolve_queues(args.queues)
    argv = ["worker", "-Q", ",".join(queues), "-n", args.name, "--loglevel", args.loglevel]
    argv += ["--without-mingle", "--without-gossip"]  # readiness comes from heartbeats
    concurrency = args.concurrency or settings.worker_concurrency
    if concurrency:
        argv += ["--concurrency", str(concurrency)]
    make_celery(settings).worker_main(argv)
    # worker_main() drops Celery's exit status; a stall's restart must reach the supervisor.
    return EXIT_STALLED if restart_requested() else 0
