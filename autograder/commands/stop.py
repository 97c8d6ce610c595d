"""``autograder stop --data-dir DIR``: stop the ``serve`` running on a folder, and whatever
it left behind (its Redis, worker and API, if serve itself is gone)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

WAIT_S = 40.0  # serve stops its children in order, waiting up to 30 s for each


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``stop`` subcommand."""
    parser = subparsers.add_parser(
        "stop",
        help="stop the `autograder serve` running on a data folder",
        description="Stop the `autograder serve` running on --data-dir (as Ctrl-C would: API, "
        "worker, then Redis), and any of its processes still running after serve itself "
        "died. Exit 0 once nothing of it runs.",
    )
    parser.add_argument(
        "--data-dir", type=Path, help="its data folder (default AUTOGRADER_DATA_DIR or .autograder)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from autograder.commands.serve import running_pids
    from autograder.embedded import read_state
    from autograder.target import UsageError
    from common.settings import Settings

    data_dir = args.data_dir or Settings().data_dir
    state = read_state(data_dir)
    if state is None or not running_pids(state):
        (Path(data_dir) / "serve.json").unlink(missing_ok=True)
        if state is None and not Path(data_dir).is_dir():
            raise UsageError(f"{data_dir} is not a data folder of `autograder serve`")
        print(f"nothing of `autograder serve` runs on {data_dir}")
        return 0
    order = [state["pid"]] + [
        state["pids"][n] for n in ("api", "worker", "redis") if n in state["pids"]
    ]
    for pid in order:  # serve first: it stops the others in order; then any left over
        if pid in running_pids(state):
            terminate(pid)
            wait_gone(pid, WAIT_S)
    left = running_pids(state)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    (Path(data_dir) / "serve.json").unlink(missing_ok=True)
    print(f"stopped `autograder serve` on {data_dir}" + (f" (killed {left})" if left else ""))
    return 0


def terminate(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    except PermissionError:
        print(f"autograder stop: no permission to stop pid {pid}", file=sys.stderr)


def wait_gone(pid: int, timeout_s: float) -> bool:
    """Wait until ``pid`` no longer runs (gone, or a zombie); True if so."""
    from autograder.commands.serve import zombie

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        if zombie(pid):
            return True
        time.sleep(0.1)
    return False
