"""``autograder starter ID``: write the student-facing starter files ID.py and ID.ipynb,
and the assignment's support modules (e.g. lab01's utils.py), so the notebook runs locally."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``starter`` subcommand."""
    parser = subparsers.add_parser(
        "starter", help="write the starter files (.py and .ipynb) of an assignment"
    )
    parser.add_argument("assignment", metavar="ID", help="e.g. lecture4-numpy")
    parser.add_argument("--out", default=".", metavar="DIR", help="folder to write to (.)")
    parser.add_argument("--force", action="store_true", help="overwrite existing files")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write the two files; refuse to overwrite a student's work unless ``--force``."""
    from autograder.packs import find_pack, pack_errors
    from common.settings import Settings
    from worker.grading.starter import starter_ipynb, starter_py

    try:
        pack = find_pack(args.assignment, Settings())
    except pack_errors() as exc:
        return usage_error(str(exc))
    out = Path(args.out)
    files = {out / f"{pack.id}.py": starter_py, out / f"{pack.id}.ipynb": starter_ipynb}
    for name, source in pack.support.items():  # bind now: the loop variable moves on
        files[out / f"{name}.py"] = lambda _pack, source=source: source
    existing = [str(path) for path in files if path.exists()]
    if existing and not args.force:
        return usage_error(f"{', '.join(existing)} already exist(s); use --force to overwrite")
    out.mkdir(parents=True, exist_ok=True)
    for path, build in files.items():
        path.write_text(build(pack), encoding="utf-8")
        print(path)
    return 0


def usage_error(message: str) -> int:
    """Print a one-line usage error on stderr; return exit status 2."""
    print(f"autograder starter: error: {message}", file=sys.stderr)
    return 2
