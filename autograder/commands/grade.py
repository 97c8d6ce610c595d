"""``autograder grade``: grade one file in the sandbox, here, and print the result.

Exit status: 0 whenever the file was graded or found not gradable (whatever the score);
2 for a usage error (unknown assignment, unsupported device, missing file); 1 when the
grader itself failed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``grade`` subcommand."""
    parser = subparsers.add_parser(
        "grade",
        help="grade one submission file and print the report",
        description="Grade a .py file or .ipynb notebook against an assignment, in the sandbox.",
    )
    parser.add_argument("--assignment", required=True, metavar="ID", help="e.g. lecture4-numpy")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--json", action="store_true", help="print the GradingResult as JSON")
    parser.add_argument("file", metavar="FILE", help="the submission (.py or .ipynb)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Grade ``args.file``; return the exit status."""
    from reference.packs import UnknownAssignmentError, get_pack

    path = Path(args.file)
    if not path.is_file():
        return usage_error(f"no such file: {args.file}")
    try:
        pack = get_pack(args.assignment)
    except UnknownAssignmentError as exc:
        return usage_error(str(exc))
    if args.device not in pack.devices:
        return usage_error(f"{pack.id} is graded on {', '.join(pack.devices)}, not {args.device}")
    from worker.grading.runners import device_problem

    problem = device_problem(args.device)
    if problem:
        return usage_error(f"cannot grade on {args.device}: {problem}")
    result = grade_file(pack, path, args.device)
    if args.json:
        print(result.model_dump_json(indent=2))
    else:
        from worker.grading.report import render_report

        print(render_report(result, path.name), end="")
    return 1 if result.status == "failed" else 0


def grade_file(pack, path: Path, device: str):
    """Grade the file at ``path`` with a runner made (and closed) for this one run.

    The sandbox starts in the background while this process imports the pipeline and
    builds the case inputs (a few hundred milliseconds saved on a one-shot command).
    """
    from worker.grading.runners import settle, warm_start

    runner, warming = warm_start(pack.runtime, device)
    try:
        from worker.grading.pipeline import grade_source
        from worker.grading.plan import plan_cases

        plan_cases(pack, device)  # builds and caches the inputs meanwhile
        source = path.read_bytes()
        runner = settle(runner, warming)
        return grade_source(pack.id, path.name, source, device=device, runner=runner)
    finally:
        runner.close()


def usage_error(message: str) -> int:
    """Print a one-line usage error on stderr; return exit status 2."""
    print(f"autograder grade: error: {message}", file=sys.stderr)
    return 2
