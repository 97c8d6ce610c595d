"""``autograder grade``: grade one file in the sandbox, here, and print the result.

Exit status: 0 whenever the file was graded or found not gradable (whatever the score);
2 for a usage error (unknown assignment, unsupported device, missing file); 1 when the
grader itself failed.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
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
    with short_lived_gc():
        return grade_command(args)


@contextmanager
def short_lived_gc() -> Iterator[None]:
    """No cyclic garbage collection while the command runs, nor at the process's exit.

    A one-shot command allocates a lot while importing (pydantic, NumPy) and frees little:
    the collector's passes cost it 30-60 ms and the full collection at interpreter exit
    about 70 ms, for nothing worth collecting. At exit the objects are frozen instead
    (the operating system frees the memory); in-process callers get the collector back
    as it was.
    """
    enabled = gc.isenabled()
    gc.disable()
    atexit.register(gc.freeze)
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def grade_command(args: argparse.Namespace) -> int:
    """Grade ``args.file`` (see :func:`run`)."""
    from autograder.packs import pack_errors

    path = Path(args.file)
    if not path.is_file():
        return usage_error(f"no such file: {args.file}")
    if path.suffix.lower() not in (".py", ".ipynb"):  # refused as the API refuses it
        return usage_error(f"cannot grade {path.name!r}: submit a .py file or a .ipynb notebook")
    try:
        pack, settings = lookup(args.assignment)
    except pack_errors() as exc:
        return usage_error(str(exc))
    if args.device not in pack.devices:
        return usage_error(f"{pack.id} is graded on {', '.join(pack.devices)}, not {args.device}")
    from worker.grading.runner_setup import device_problem

    problem = device_problem(args.device)
    if problem:
        return usage_error(f"cannot grade on {args.device}: {problem}")
    try:
        result = grade_file(pack, path, args.device, settings)
    except pack_errors() as exc:  # a pack folder declares the same id
        return usage_error(str(exc))
    if args.json:
        print(result.model_dump_json(indent=2))
    else:
        from worker.grading.report import render_report

        print(render_report(result, path.name), end="")
    return 1 if result.status == "failed" else 0


def lookup(pack_id: str):
    """Return (pack, settings): a built-in or installed pack without reading the settings
    yet (settings None: see :func:`grade_file`), else one in the settings' pack folders."""
    from reference.packs import UnknownAssignmentError, get_pack

    try:
        return get_pack(pack_id), None
    except UnknownAssignmentError:
        from autograder.packs import find_pack
        from common.settings import Settings  # the one read of the environment here

        settings = Settings()
        return find_pack(pack_id, settings), settings


def grade_file(pack, path: Path, device: str, settings=None):
    """Grade the file at ``path`` with a runner made (and closed) for this one run.

    The default settings' sandbox starts first, before the settings are read (when
    ``settings`` is None): its zygote boots (bubblewrap, an interpreter, NumPy) in its own
    process while this one imports pydantic, reads the settings, imports the pipeline and
    builds the case inputs. Where the settings ask for another sandbox, that one replaces
    it; where their pack folders declare the pack's id too, the registry says so.
    """
    from worker.grading.runner_setup import DEFAULT_CONFIG, make_runner, runner_config

    runner = start(make_runner(), pack.runtime, device)
    try:
        if settings is None:
            from autograder.packs import find_pack
            from common.settings import Settings  # the one read of the environment here

            settings = Settings()
            find_pack(pack.id, settings)  # two packs with one id: DuplicatePackError
        if runner_config(settings) != DEFAULT_CONFIG:
            runner.close()
            runner = start(make_runner(settings), pack.runtime, device)
        from worker.grading.pipeline import grade_pack

        source = path.read_bytes()
        return grade_pack(pack, path.name, source, device, runner=runner, settings=settings)
    finally:
        runner.close()


def start(runner, runtime: str, device: str):
    """Start ``runner``'s zygote for (runtime, device) without waiting; return the runner.

    Call it from the thread that runs the command: bubblewrap's --die-with-parent stops
    the sandbox when the *thread* that started it ends.
    """
    from worker.sandbox.host.api import SandboxInfrastructureError

    launch = getattr(runner, "launch", None)  # zygote-based runners can start early
    if launch is not None:
        try:
            launch(runtime, device)
        except SandboxInfrastructureError:  # the real run meets it again and reports it
            pass
    return runner


def usage_error(message: str) -> int:
    """Print a one-line usage error on stderr; return exit status 2."""
    print(f"autograder grade: error: {message}", file=sys.stderr)
    return 2
