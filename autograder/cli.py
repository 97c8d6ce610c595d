"""The ``autograder`` command line: one subcommand per module in ``autograder/commands/``.

Each command module exposes ``register(subparsers)``, which adds its parser and sets
``func`` to a callable taking the parsed arguments and returning the exit code. Modules are
imported only to register, so keep their top-level imports light (no numpy, torch, flask).
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = (
    "grade",
    "assignments",
    "starter",
    "serve",
    "api",
    "worker",
    "regrade",
    "keys",
    "export_gradescope",
    "export_prairielearn",
    "platform_grade",
)


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every available subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="autograder", description="Grade NumPy and PyTorch submissions in a sandbox."
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"autograder.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"autograder.commands.{name}":
                continue  # command not built yet in this checkout
            raise
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen command; return its exit code."""
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
