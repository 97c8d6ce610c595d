"""``autograder regrade --assignment ID``: grade every stored submission again (pack changed).

Runs in this process, one submission after the other, with worker/regrade.py (the same
code as the staff pages' "regrade all", which a worker runs): through the same pipeline as
the workers (student code still runs only in the sandbox). Each new result replaces the
old one with a ``regraded_at`` time; a run that fails on our side keeps the old result.
Submissions still queued or running are skipped: a worker grades them with the new pack.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from typing import TYPE_CHECKING, TextIO

from autograder.target import UsageError, add_data_options, connect_checked

if TYPE_CHECKING:
    from worker.regrade import Summary


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``regrade`` subcommand."""
    parser = subparsers.add_parser(
        "regrade",
        help="grade every stored submission of an assignment again",
        description="Grade every finished submission of an assignment again, here, in the "
        "sandbox (after its pack changed); each new result replaces the old one. Uses the "
        "Redis of the running `autograder serve` (see --data-dir) or AUTOGRADER_REDIS_URL.",
    )
    parser.add_argument("--assignment", required=True, help="Assignment id, e.g. lecture4-numpy.")
    parser.add_argument("--course", help="Only this course's submissions (exact, case-sensitive).")
    add_data_options(parser)
    parser.add_argument("--json", action="store_true", help="Print the summary as JSON.")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Regrade, print the summary; exit 1 if any submission could not be regraded."""
    from autograder.packs import find_pack, pack_errors
    from common.settings import Settings

    settings = Settings()
    try:
        find_pack(args.assignment, settings)
    except pack_errors() as exc:
        raise UsageError(str(exc)) from None
    from worker.regrade import regrade

    client = connect_checked(args, settings)

    def progress(done: int, summary: Summary) -> None:
        draw_progress(sys.stderr, done, summary)

    summary = regrade(client, args.assignment, args.course, progress, settings)
    if args.json:
        print(json.dumps(asdict(summary), indent=2))
    else:
        print_summary(summary, sys.stdout)
    return 1 if summary.errors else 0


def draw_progress(stream: TextIO | None, done: int, summary: Summary, width: int = 30) -> None:
    """Draw ``[#####-----] done/total`` on one line of ``stream`` (a new line at the end)."""
    if stream is None or summary.total == 0:
        return
    filled = width * done // summary.total
    bar = "#" * filled + "-" * (width - filled)
    stream.write(f"\r[{bar}] {done}/{summary.total}, {len(summary.changed)} changed")
    stream.write("\n" if done == summary.total else "")
    stream.flush()


def print_summary(summary: Summary, out: TextIO) -> None:
    """Print what changed, one line per submission whose score moved, then the counts."""
    for change in summary.changed:
        student = change["student_id"] or "-"
        out.write(f"{change['id']}  {student}  {change['old']} -> {change['new']}\n")
    out.write(
        f"{summary.assignment}: {summary.regraded} of {summary.total} regraded, "
        f"{len(summary.changed)} scores changed, {summary.skipped} skipped, "
        f"{summary.errors} failed (old result kept)\n"
    )
