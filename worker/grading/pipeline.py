"""Grade one submission: parse, check forbidden calls, run in the sandbox, judge every case.

Three outcomes, kept apart (common.contracts.GradingStatus): ``graded`` (whatever the
score, an import error included), ``not_gradable`` (syntax error, bad notebook: score 0,
every test listed as failed so students see what exists) and ``failed`` (our fault: the
sandbox or a check broke; never charged to the student). With ``raise_on_infra=True`` our
faults are raised instead, so a Celery task can retry.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from common.contracts import GradingError, GradingResult, GradingStatus
from common.settings import Settings
from reference.pack import Case, Device, Pack
from reference.packs import get_pack
from worker.grading.chunks import NotGradableError, ParsedSource
from worker.grading.composed import regrade_composed
from worker.grading.forbidden import StaticFacts
from worker.grading.plan import PlannedCase, plan_cases
from worker.grading.prepare import sandbox_request, static_facts
from worker.grading.results import (
    grader_error,
    import_error,
    not_gradable_tests,
    shown_output,
    stopped_at,
    to_test_result,
    total,
    versions,
)
from worker.grading.runner_setup import device_problem, sandbox_limits, shared_runner
from worker.grading.source import parse_submission
from worker.grading.top_level import chunk_warnings
from worker.grading.unset import unset_causes
from worker.grading.verdicts import judge
from worker.sandbox.host.api import (
    SandboxInfrastructureError,
    SandboxReport,
    SandboxRequest,
    SandboxRunner,
)

log = logging.getLogger(__name__)


class UnsupportedDeviceError(ValueError):
    """The assignment is not graded on the requested device."""


def grade_source(
    pack_id: str,
    filename: str,
    source: str | bytes,
    device: Device = "cpu",
    runner: SandboxRunner | None = None,
    cases: Sequence[Case] | None = None,
    raise_on_infra: bool = False,
    settings: Settings | None = None,
) -> GradingResult:
    """Grade ``source`` (a .py file or a notebook, by ``filename``) against pack ``pack_id``.

    ``settings``: the process's settings, passed down from its entry point (the code's
    defaults when None; the environment is not read here). ``runner`` defaults to the
    process's shared runner for those settings; ``cases`` replaces the pack's battery
    (tests). Raises UnknownAssignmentError / UnsupportedDeviceError for bad requests, and,
    if ``raise_on_infra``, whatever broke on our side.
    """
    return grade_pack(
        get_pack(pack_id), filename, source, device, runner, cases, raise_on_infra, settings
    )


def grade_pack(
    pack: Pack,
    filename: str,
    source: str | bytes,
    device: Device = "cpu",
    runner: SandboxRunner | None = None,
    cases: Sequence[Case] | None = None,
    raise_on_infra: bool = False,
    settings: Settings | None = None,
) -> GradingResult:
    """Grade ``source`` against ``pack`` itself (see :func:`grade_source`)."""
    started = time.perf_counter()
    settings = settings or Settings.defaults()
    limits = sandbox_limits(settings, pack)
    if device not in pack.devices:
        raise UnsupportedDeviceError(
            f"{pack.id} is graded on {', '.join(pack.devices)}, not on {device!r}"
        )
    result = dict(assignment=pack.id, device=device, versions=versions(pack.runtime))
    try:
        problem = device_problem(device)
        if problem:  # else every call would "crash" and the student would be charged
            raise SandboxInfrastructureError(problem)
        planned = plan_cases(pack, device, cases, limits)
        try:
            parsed = parse_submission(filename, source)
            static = static_facts(pack, parsed)
        except NotGradableError as exc:
            result.update(not_gradable(planned, exc))
        else:
            runner = runner or shared_runner(settings)
            request = sandbox_request(pack, device, parsed, static, planned, limits)
            result.update(run_and_judge(pack, request, parsed, static, planned, runner))
    except Exception as exc:
        if raise_on_infra:
            raise
        log.exception("grading %s for %s failed on our side", filename, pack.id)
        result.update(status=GradingStatus.FAILED, score=0, max_score=pack.max_score)
        result.update(error=grader_error(exc))
    elapsed_ms = (time.perf_counter() - started) * 1000
    return GradingResult(duration_ms=round(elapsed_ms, 1), **result)


def not_gradable(planned: list[PlannedCase], exc: NotGradableError) -> dict:
    """Return the fields of a not-gradable result: score 0, every test failed."""
    tests = not_gradable_tests(planned, exc)
    error = GradingError(kind=exc.kind, message=exc.message, line=exc.line, cell=exc.cell)
    _, max_score = total(tests)
    return dict(
        status=GradingStatus.NOT_GRADABLE, score=0, max_score=max_score, tests=tests, error=error
    )


def run_and_judge(
    pack: Pack,
    request: SandboxRequest,
    parsed: ParsedSource,
    static: StaticFacts,
    planned: list[PlannedCase],
    runner: SandboxRunner,
) -> dict:
    """Run ``request`` (the submission's chunks and calls) in the sandbox; return the
    judged fields.

    Failed cases of functions whose helpers failed are graded again with reference
    helpers (worker.grading.composed).
    """
    report: SandboxReport = runner.run(request)
    where = stopped_at(report.imported, parsed.chunks)
    unset = unset_causes(report.imported, parsed.chunks)
    verdicts = []
    for p in planned:
        observation = report.observations.get(p.call_id)
        forbidden = static.forbidden.get(p.case.function, ())
        verdicts.append(judge(pack, p, observation, forbidden, report.imported, where, unset))
    defined = report.imported.defined
    spent_s = report.duration_ms / 1000  # the regrade has what is left of the budget
    verdicts = regrade_composed(pack, request, static, planned, verdicts, defined, runner, spent_s)
    tests = [to_test_result(p, v) for p, v in zip(planned, verdicts, strict=True)]
    score, max_score = total(tests)
    return dict(
        status=GradingStatus.GRADED,
        score=score,
        max_score=max_score,
        tests=tests,
        error=import_error(report.imported, parsed.chunks),
        warnings=chunk_warnings(report.imported, parsed.chunks),
        output=shown_output(report, planned),
        flags=list(static.flags),
    )
