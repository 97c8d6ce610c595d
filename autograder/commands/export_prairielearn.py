"""``autograder export-prairielearn ID``: write a PrairieLearn question folder.

The question is graded by our PrairieLearn image (docker/prairielearn.Dockerfile); see
docs/platforms.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_IMAGE = "autograder-prairielearn:latest"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``export-prairielearn`` subcommand."""
    parser = subparsers.add_parser(
        "export-prairielearn",
        help="write a PrairieLearn question folder for an assignment",
        description="Write a PrairieLearn question (info.json, question.html, tests/) that "
        "our grading image grades.",
    )
    parser.add_argument("assignment", metavar="ID", help="e.g. lecture4-numpy")
    parser.add_argument("-o", "--out", metavar="DIR", help="the folder to write (./ID)")
    parser.add_argument(
        "--image", default=DEFAULT_IMAGE, help=f"the grading image, as pushed ({DEFAULT_IMAGE})"
    )
    parser.add_argument(
        "--timeout", type=int, metavar="S", help="grading timeout, seconds (the pack's budget)"
    )
    parser.add_argument("--force", action="store_true", help="write into an existing folder")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write the question folder; return the exit status (2 for a usage error)."""
    from autograder.packs import exportable_pack
    from autograder.platforms.question import MAX_TIMEOUT_S, question_timeout_s, write_question
    from common.settings import Settings

    try:
        pack = exportable_pack(args.assignment, "the grading image")
    except ValueError as exc:
        return usage_error(str(exc))
    if args.timeout is not None and not 1 <= args.timeout <= MAX_TIMEOUT_S:
        return usage_error(f"--timeout must be 1 to {MAX_TIMEOUT_S} seconds (PrairieLearn's cap)")
    out = Path(args.out or pack.id)
    if out.exists() and not args.force:
        return usage_error(f"{out} already exists; use --force to write into it")
    timeout = args.timeout or question_timeout_s(pack, Settings().sandbox_submission_s)
    for path in write_question(pack, out, args.image, timeout):
        print(path)
    return 0


def usage_error(message: str) -> int:
    """Print a one-line usage error on stderr; return exit status 2."""
    print(f"autograder export-prairielearn: error: {message}", file=sys.stderr)
    return 2
