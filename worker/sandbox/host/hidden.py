"""Parent side: error texts of hidden calls, with no student-produced text left in them.

Spec: "Hidden tests never reveal expected values, nor numbers from which they follow".
Whatever student code prints, raises or returns during a hidden call can carry its inputs,
in digits or in any other spelling ("one two three"), and the child that formats an error
is not trusted. So no text from the child survives a hidden call: an exception becomes
its type (when it is a type Python, NumPy or torch defines; a class of the student's own
could be named after an input) and our own fixed sentence; every other status becomes a
fixed sentence of its own. Tracebacks go too: which line raised is itself a choice the
code can make from the inputs.
"""

from __future__ import annotations

import builtins
import re
from dataclasses import replace

import numpy as np

from reference import devices
from reference.pack import Observation

HIDDEN_MESSAGE = "(the message of an exception in a hidden test is not shown)"
# What replaces a hidden call's error text, by status: never the child's words.
FIXED = {
    "crashed": "the process running it ended during a hidden test",
    "bad_result": "its result could not be read",
    "timeout": "it did not return in time",
    "memory_limit": "it ran out of memory",
    "missing": "it is not defined",
    "forbidden": "it used a forbidden call",
}
OWN_CLASS = "Exception"  # shown for an exception class the allowlist does not name
# torch is never imported here (the parent may be a CPU worker): its exception names.
TORCH_ERRORS = (
    "torch.OutOfMemoryError",
    "torch.cuda.OutOfMemoryError",
    "torch.AcceleratorError",
    "torch._C._LinAlgError",
    "torch.linalg.LinAlgError",
)
TYPE_NAME = re.compile(r"[A-Za-z_][\w.]*")
# One torch wording of the device-mixing error: our own text, so the pipeline's advice
# for tensors on two devices still applies to a hidden case.
MIXING_TEXT = "RuntimeError: Expected all tensors to be on the same device"


def _known_exceptions() -> frozenset[str]:
    """The names of exception types Python, NumPy and torch define, as tracebacks print them."""
    names = {n for n, v in vars(builtins).items() if _is_exception(v)}
    for module in (np, np.exceptions, np.linalg):
        for value in vars(module).values():
            if _is_exception(value):
                names.add(f"{value.__module__}.{value.__qualname__}")
    return frozenset(names) | frozenset(TORCH_ERRORS)


def _is_exception(value: object) -> bool:
    return isinstance(value, type) and issubclass(value, BaseException)


KNOWN_EXCEPTIONS = _known_exceptions()


def scrub(observation: Observation) -> Observation:
    """Return ``observation`` with an error text that is ours alone, safe for a hidden test."""
    if not observation.error:
        return observation
    if observation.status == "exception":
        return replace(observation, error=exception_text(observation.error))
    fixed = FIXED.get(observation.status, "it failed")
    return replace(observation, error=fixed)


def exception_text(error: str) -> str:
    """'ValueError: (the message ... is not shown)': the type if we know it, our sentence."""
    last = _exception_line(error)
    if devices.is_mixing_error(last):
        return MIXING_TEXT  # one bit, like the type: which advice the student gets
    match = TYPE_NAME.match(last)
    name = match.group(0) if match and last[match.end() : match.end() + 1] in ("", ":") else ""
    return f"{name if name in KNOWN_EXCEPTIONS else OWN_CLASS}: {HIDDEN_MESSAGE}"


def _exception_line(error: str) -> str:
    """The line of a traceback text that names the exception (the first after the entries)."""
    lines = [line for line in error.splitlines() if line.strip()]
    index = 1 if lines and lines[0].startswith("Traceback") else 0
    while index < len(lines) and lines[index].startswith(" "):
        index += 1  # '  File ...', its source line, '  ...' markers
    return lines[index].strip() if index < len(lines) else ""
