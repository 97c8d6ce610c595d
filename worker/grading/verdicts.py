"""Turn what the sandbox observed for one case into a Verdict a student can act on.

Order of judgement: forbidden (static or at run time) -> not defined -> exception (torch
tensors on two devices get their own advice) -> timeout / memory / crash / unreadable
result -> argument changed in place -> the case's own check (which computes the expected
value here, in the trusted parent).
"""

from __future__ import annotations

import difflib

from reference import devices
from reference.pack import Observation, Pack, Verdict
from worker.grading.plan import PlannedCase
from worker.sandbox.host.api import TIMED_OUT_EARLIER, ImportOutcome

MAX_TRACEBACK_LINES = 10
MAX_TRACEBACK_CHARS = 1500


class GraderBugError(RuntimeError):
    """The grader itself went wrong (a check raised, a report lacks a call): our fault."""


def judge(
    pack: Pack,
    planned: PlannedCase,
    observation: Observation | None,
    static_forbidden: tuple[str, ...],
    imported: ImportOutcome,
    stopped_at: str,
) -> Verdict:
    """Return the verdict on one case; ``stopped_at`` says where the file stopped ('line 7')."""
    fn = planned.case.function
    runtime_forbidden = observation.forbidden if observation else ()
    names = sorted(set(static_forbidden) | set(runtime_forbidden))
    if names or (observation and observation.status == "forbidden"):
        return forbidden_verdict(pack, fn, names)
    if observation is None:
        raise GraderBugError(f"the sandbox report has no observation for {planned.call_id}")
    if observation.status == "missing":
        return missing_verdict(fn, imported, stopped_at)
    if observation.status == "exception":
        if pack.runtime == "torch" and devices.is_mixing_error(first_error_line(observation.error)):
            return wrong_device_verdict(fn, observation.error, planned.inputs)
        return exception_verdict(fn, observation.error)
    if observation.status != "ok":
        return failure_verdict(fn, observation, planned.time_limit_s)
    if observation.mutated:
        return mutation_verdict(fn, observation.mutated)
    try:
        return planned.case.check(planned.inputs, observation)
    except Exception as exc:
        raise GraderBugError(f"the check of {planned.case.name!r} raised {exc!r}") from exc


def forbidden_verdict(pack: Pack, fn: str, names: list[str]) -> Verdict:
    """Fail a function that uses forbidden calls, naming them and why."""
    reason = pack.forbidden.reason or "write it by hand"
    where = "" if pack.id in reason else f" in {pack.id}"  # the reason may name the pack
    used = join_words(names) if names else "a forbidden call"
    verb = "are" if len(names) > 1 else "is"
    message = f"{fn} uses {used}, which {verb} forbidden{where}: {reason}"
    return Verdict(False, message, "forbidden_call")


def missing_verdict(fn: str, imported: ImportOutcome, stopped_at: str) -> Verdict:
    """Fail a function that does not exist, saying whether the file stopped early."""
    if imported.status != "ok":
        first = first_error_line(imported.error) or imported.status
        message = f"{fn} was not defined when your file stopped at {stopped_at}: {first}"
        return Verdict(False, message, "missing")
    message = f"{fn} is not defined"
    close = difflib.get_close_matches(fn, imported.defined, n=1, cutoff=0.6)
    if close:
        message += f" (your file defines {close[0]}: check the spelling)"
    return Verdict(False, message, "missing")


def exception_verdict(fn: str, error: str) -> Verdict:
    """Fail a function that raised, showing its exception and the student's own lines."""
    if "NotImplementedError" in first_error_line(error):
        return Verdict(
            False, f"{fn} is not implemented yet (it raises NotImplementedError)", "not_implemented"
        )
    return Verdict(False, f"{fn} raised an exception:\n{cap_traceback(error)}", "exception")


def wrong_device_verdict(fn: str, error: str, inputs: dict) -> Verdict:
    """Fail a call that mixed tensors on two devices, naming the fix and showing where."""
    message = devices.mixing_message(fn, first_error_line(error), inputs)
    return Verdict(False, f"{message}\n{cap_traceback(error)}", devices.DIAGNOSIS)


def failure_verdict(fn: str, observation: Observation, limit_s: float) -> Verdict:
    """Fail a call that timed out, ran out of memory, crashed or returned junk."""
    detail = f": {first_error_line(observation.error)}" if observation.error else ""
    status = observation.status
    if status == "timeout" and TIMED_OUT_EARLIER in observation.error:
        message = f"{fn} {TIMED_OUT_EARLIER} for this case (an endless loop?)"
    elif status == "timeout" and "total time budget" in observation.error:
        message = f"{fn} was stopped: {first_error_line(observation.error)}"
    elif status == "timeout":
        message = f"{fn} took longer than {limit_s:g}s and was stopped (an endless loop?)"
    elif status == "memory_limit":
        message = f"{fn} ran out of memory (it tried to use more than the grader allows)"
    elif status == "crashed":
        message = f"{fn} crashed the Python process running it{detail}"
    elif status == "bad_result":
        message = f"{fn} returned something the grader cannot read{detail}"
    else:
        raise GraderBugError(f"unknown observation status {status!r}")
    return Verdict(False, message, status)


def mutation_verdict(fn: str, mutated: tuple[str, ...]) -> Verdict:
    """Fail a function that changed its inputs in place."""
    noun = "arguments" if len(mutated) > 1 else "argument"
    return Verdict(
        False,
        f"{fn} changed its {noun} {join_words(list(mutated))} in place: "
        "return new arrays and leave the inputs as they were",
        "in_place_mutation",
    )


def first_error_line(error: str) -> str:
    """Return the 'Type: message' line of an error text (Python puts it last)."""
    lines = [line for line in error.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def cap_traceback(error: str) -> str:
    """Keep the last MAX_TRACEBACK_LINES lines and MAX_TRACEBACK_CHARS characters."""
    lines = error.strip().splitlines()
    text = "\n".join(lines[-MAX_TRACEBACK_LINES:])
    if len(text) > MAX_TRACEBACK_CHARS:
        text = "..." + text[-(MAX_TRACEBACK_CHARS - 3) :]
    return text


def join_words(words: list[str]) -> str:
    """Return 'a', 'a and b', or 'a, b and c'."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]
