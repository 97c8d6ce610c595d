"""``autograder platform-grade PLATFORM``: what runs inside Gradescope's or PrairieLearn's
container (the exports' run_autograder and entrypoint call it); see docs/platforms.md."""

from __future__ import annotations

import argparse
from pathlib import Path

from autograder.commands.grade import short_lived_gc


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``platform-grade`` subcommand."""
    parser = subparsers.add_parser(
        "platform-grade",
        help="grade inside a Gradescope or PrairieLearn container (used by the exports)",
        description="Grade the submission where the platform put it and write its results.json.",
    )
    parser.add_argument("platform", choices=("gradescope", "prairielearn"))
    parser.add_argument(
        "--root", default="/", metavar="DIR", help="folder the platform's paths are under (/)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Grade and write results.json; return the exit status (see autograder.platforms.entry)."""
    from autograder.platforms.entry import grade_on_platform

    with short_lived_gc():
        return grade_on_platform(args.platform, Path(args.root))
