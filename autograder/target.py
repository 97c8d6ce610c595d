"""Which Redis a command that touches stored data uses, and one clear line when it fails.

Every such command (``keys``, ``regrade``) takes ``--data-dir`` and ``--redis-url`` and
finds its Redis in this order: ``--redis-url``; the running ``serve`` on ``--data-dir``;
``AUTOGRADER_REDIS_URL`` when set; the running ``serve`` on ``AUTOGRADER_DATA_DIR`` (by
default ``.autograder``); the default URL. So the docs' commands work from the folder
``serve`` runs in without any flag. A Redis that does not answer is a :class:`UsageError`
that says what to do, never a traceback.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from urllib.parse import urlsplit


class UsageError(Exception):
    """A mistake of the person at the keyboard: printed as one line, exit status 2."""


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """Add --data-dir and --redis-url to a command that reads or writes stored data."""
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="use the Redis of the `autograder serve` running on this folder "
        "(default: AUTOGRADER_DATA_DIR, .autograder)",
    )
    parser.add_argument("--redis-url", help="use this Redis (default: see --data-dir)")


def redis_url(args: argparse.Namespace, settings) -> str:
    """The URL of the Redis ``args`` and ``settings`` point to (see the module doc)."""
    from autograder.commands.serve import running_pids
    from autograder.embedded import read_state

    if getattr(args, "redis_url", None):
        return args.redis_url
    explicit = getattr(args, "data_dir", None)
    if explicit is not None:
        state = read_state(explicit)
        if state is None or not running_pids(state):
            raise UsageError(
                f"no `autograder serve` is running on {explicit}: start it with "
                f"`autograder serve --data-dir {explicit}`, or pass --redis-url"
            )
        return state["redis_url"]
    if "redis_url" in settings.model_fields_set:  # AUTOGRADER_REDIS_URL was set
        return settings.redis_url
    state = read_state(Path(settings.data_dir))
    if state is not None and running_pids(state):
        return state["redis_url"]
    return settings.redis_url


def connect_checked(args: argparse.Namespace, settings):
    """A Redis client for ``args`` that has answered a PING, or a UsageError saying why."""
    import redis

    from common.records import connect

    url = redis_url(args, settings)
    client = connect(url, timeout_s=5)
    try:
        client.ping()
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        raise UsageError(unreachable(url, exc)) from None
    except redis.AuthenticationError:
        raise UsageError(f"Redis at {where(url)} refused the password in the URL") from None
    return client


def unreachable(url: str, exc: Exception) -> str:
    """The line for a Redis that does not answer: where, and the three ways to fix it."""
    return (
        f"cannot reach Redis at {where(url)} ({exc.__class__.__name__}). Is `autograder "
        "serve` running? Run this command in the folder serve runs in, or pass --data-dir "
        "DIR of the running serve, or set AUTOGRADER_REDIS_URL (or --redis-url)"
    )


def where(url: str) -> str:
    """host:port of a Redis URL, without its password."""
    parts = urlsplit(url)
    return f"{parts.hostname or '?'}:{parts.port or 6379}"
