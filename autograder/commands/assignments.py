"""``autograder assignments``: list the assignment packs this installation can grade."""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``assignments`` subcommand."""
    parser = subparsers.add_parser(
        "assignments", help="list the assignments (id, title, runtime, devices, points)"
    )
    parser.add_argument("--json", action="store_true", help="print a JSON list instead")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print one line (or JSON object) per pack; return 0 (2 if a pack source is broken)."""
    from autograder.packs import configure_packs, pack_errors
    from common.settings import Settings
    from reference.packs import list_packs

    try:
        configure_packs(Settings())
        packs = list_packs()
    except pack_errors() as exc:
        print(f"autograder assignments: error: {exc}", file=sys.stderr)
        return 2
    rows = [
        {
            "id": pack.id,
            "title": pack.title,
            "runtime": pack.runtime,
            "devices": list(pack.devices),
            "points": pack.max_score,
        }
        for pack in packs
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    table = [("ID", "RUNTIME", "DEVICES", "POINTS", "TITLE")]
    table += [
        (r["id"], r["runtime"], ",".join(r["devices"]), f"{r['points']:g}", r["title"])
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    for row in table:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[4]]))
    return 0
