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
    "stop",
    "api",
    "worker",
    "regrade",
    "keys",
    "lti",
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
    describe(subparsers)
    return parser


def describe(subparsers: argparse._SubParsersAction) -> None:
    """Give every (sub)command without a description its one-line help as description, so
    ``autograder COMMAND --help`` always says what the command does."""
    helps = {action.dest: action.help for action in subparsers._choices_actions}
    for name, parser in subparsers.choices.items():
        if not parser.description and helps.get(name):
            text = helps[name]
            parser.description = text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                describe(action)


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen command; return its exit code.

    A user error (autograder.target.UsageError) is one line on stderr and exit status 2,
    never a traceback.
    """
    from autograder.target import UsageError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"autograder {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
