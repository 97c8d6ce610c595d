"""``autograder export-gradescope ID -o bundle.zip``: write a Gradescope autograder zip.

Upload the zip as the assignment's autograder; see docs/platforms.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HIDDEN = ("after_due_date", "after_published", "hidden")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``export-gradescope`` subcommand."""
    parser = subparsers.add_parser(
        "export-gradescope",
        help="write a Gradescope autograder bundle (zip) for an assignment",
        description="Write the zip Gradescope takes as an autograder: setup.sh, "
        "run_autograder and this package with the assignment's pack.",
    )
    parser.add_argument("assignment", metavar="ID", help="e.g. lecture4-numpy")
    parser.add_argument("-o", "--out", required=True, metavar="ZIP", help="the zip to write")
    parser.add_argument(
        "--hidden",
        choices=HIDDEN,
        default="after_due_date",
        help="Gradescope visibility of the hidden cases (after_due_date)",
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing zip")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write the bundle; return the exit status (2 for a usage error)."""
    from autograder.packs import exportable_pack
    from autograder.platforms.bundle import NotACheckoutError, write_bundle

    try:
        pack = exportable_pack(args.assignment, "Gradescope")
    except ValueError as exc:
        return usage_error(str(exc))
    out = Path(args.out)
    if out.exists() and not args.force:
        return usage_error(f"{out} already exists; use --force to overwrite")
    try:
        names = write_bundle(pack, out, args.hidden)
    except NotACheckoutError as exc:
        return usage_error(str(exc))
    print(f"{out}: Gradescope autograder for {pack.id} ({len(names)} files)")
    return 0


def usage_error(message: str) -> int:
    """Print a one-line usage error on stderr; return exit status 2."""
    print(f"autograder export-gradescope: error: {message}", file=sys.stderr)
    return 2
