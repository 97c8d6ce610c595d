"""Grade the file a platform hands us, here, in the sandbox mode its export chose.

Inside Gradescope's and PrairieLearn's containers we are root, one container per
submission, under Docker's default seccomp profile: no user namespaces, so bubblewrap
cannot run. The exports therefore choose ``process`` explicitly (docs/platforms.md):
the trusted grader stays root and starts the sandbox's zygote as uid 65534 (nobody),
so student code cannot signal, trace or read the grader, nor write the results file.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from autograder.platforms.config import SandboxMode
from autograder.platforms.submission import MissingSubmissionError, find_submission
from common.contracts import GradingResult
from common.settings import Settings
from reference.pack import Pack
from worker.sandbox.host.api import SandboxRunner


def platform_runner(mode: SandboxMode) -> SandboxRunner:
    """A runner for ``mode``; 'process' runs the sandbox as another uid when we are root."""
    from worker.sandbox.host import factory

    if mode != "process":
        return factory.make_runner(mode)
    from worker.sandbox.host.bwrap_runner import dedicated_uid
    from worker.sandbox.host.process_runner import ProcessRunner, readable_by_anyone

    uid = dedicated_uid() if readable_by_anyone() else None
    if uid is None and os.geteuid() == 0:
        # The interpreter or the packages are not readable by everyone: say so in the
        # platform's log (instructors see it), and grade with the grader's own uid.
        print("autograder: the sandbox runs as root (install world-readable)", file=sys.stderr)
    return ProcessRunner(uid=uid)


def grade_folder(pack: Pack, folder: Path, mode: SandboxMode, settings: Settings) -> GradingResult:
    """Grade the student's file in ``folder`` on the CPU; a missing file is not gradable."""
    from worker.grading.pipeline import grade_pack

    try:
        path = find_submission(folder, pack.id, settings.max_upload_bytes)
    except MissingSubmissionError as exc:
        return missing_file_result(pack, str(exc), settings)
    runner = platform_runner(mode)
    try:
        return grade_pack(pack, path.name, path.read_bytes(), "cpu", runner, settings=settings)
    finally:
        runner.close()


def missing_file_result(pack: Pack, sentence: str, settings: Settings) -> GradingResult:
    """A not-gradable result that lists every test, as a syntax error's does."""
    from worker.grading.chunks import NotGradableError
    from worker.grading.pipeline import not_gradable
    from worker.grading.plan import plan_cases
    from worker.grading.runner_setup import sandbox_limits

    planned = plan_cases(pack, "cpu", None, sandbox_limits(settings, pack))
    fields = not_gradable(planned, NotGradableError("missing_file", sentence))
    return GradingResult(assignment=pack.id, duration_ms=0, **fields)
