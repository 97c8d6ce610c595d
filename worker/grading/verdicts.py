"""Turn what the sandbox observed for one case into a Verdict a student can act on.

Order of judgement: forbidden (static or at run time) -> not defined -> exception (torch
tensors on two devices get their own advice) -> a signature that cannot take the call ->
timeout / memory / crash / unreadable result -> argument changed in place -> the case's
own check (which computes the expected value here, in the trusted parent).
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Mapping

from reference import devices
from reference.pack import Observation, Pack, Verdict
from worker.grading.plan import PlannedCase
from worker.grading.signatures import signature_verdict
from worker.sandbox.host.api import TIMED_OUT_EARLIER, ImportOutcome

log = logging.getLogger(__name__)

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
    unset: Mapping[str, str] | None = None,
) -> Verdict:
    """Return the verdict on one case; ``stopped_at`` says where the file stopped ('line 7').

    ``unset``: why names are missing, by name (worker.grading.unset.unset_causes).
    """
    fn = planned.case.function
    # The child may name anything: only names of this pack's lists are believed.
    runtime_forbidden = set(observation.forbidden if observation else ()) & forbidden_names(pack)
    names = sorted(set(static_forbidden) | set(runtime_forbidden))
    if names or (observation and observation.status == "forbidden"):
        return forbidden_verdict(pack, fn, names)
    if observation is None:
        raise GraderBugError(f"the sandbox report has no observation for {planned.call_id}")
    if observation.status == "missing":
        return missing_verdict(fn, imported, stopped_at, unset or {})
    if observation.status == "exception":
        if pack.runtime == "torch" and devices.is_mixing_error(first_error_line(observation.error)):
            return wrong_device_verdict(fn, observation.error, planned.inputs)
        return exception_verdict(fn, observation.error)
    if observation.status == "bad_signature":
        return signature_verdict(pack, planned, observation)
    if observation.status != "ok":
        return failure_verdict(fn, observation, planned.time_limit_s)
    if observation.mutated:
        return mutation_verdict(fn, observation.mutated)
    try:
        return planned.case.check(planned.inputs, observation)
    except Exception as exc:  # noqa: BLE001 - reading the student's value broke the check
        # Expected values depend on our inputs alone (and the correct fixtures pass every
        # check), so what broke is the student's value (10**400, ...): that case fails,
        # never the run. Logged in full, in case it is a bug of ours after all.
        log.error("the check of %r raised on the returned value", planned.case.name, exc_info=True)
        return uncheckable_verdict(fn, exc)


def forbidden_names(pack: Pack) -> set[str]:
    """Every name a forbidden-call report of ``pack`` may hold (the guard's spellings)."""
    rules = pack.forbidden
    methods = {f"{owner}.{m}" for m in rules.methods for owner in ("Tensor", "ndarray")}
    return set(rules.calls) | set(rules.modules) | methods


def forbidden_verdict(pack: Pack, fn: str, names: list[str]) -> Verdict:
    """Fail a function that uses forbidden calls, naming them and why."""
    reason = pack.forbidden.reason or "write it by hand"
    where = "" if pack.id in reason else f" in {pack.id}"  # the reason may name the pack
    used = join_words(names) if names else "a forbidden call"
    verb = "are" if len(names) > 1 else "is"
    message = f"{fn} uses {used}, which {verb} forbidden{where}: {reason}"
    return Verdict(False, message, "forbidden_call")


def missing_verdict(
    fn: str, imported: ImportOutcome, stopped_at: str, unset: Mapping[str, str] | None = None
) -> Verdict:
    """Fail a name that does not exist, saying whether the file stopped early or the
    statement that sets it raised (``unset``: why, by name)."""
    if imported.status != "ok":
        first = first_error_line(imported.error) or imported.status
        message = f"{fn} was not defined when your file stopped at {stopped_at}: {first}"
        return Verdict(False, message, "missing")
    if unset and fn in unset:
        return Verdict(False, f"{fn} is not defined: {unset[fn]}", "missing")
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


def uncheckable_verdict(fn: str, exc: Exception) -> Verdict:
    """Fail a call whose returned value could not be converted or compared."""
    message = (
        f"{fn} returned something the grader cannot compare with the expected result "
        f"({type(exc).__name__} while reading it): return the type the docstring names"
    )
    return Verdict(False, message, "bad_result")


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
