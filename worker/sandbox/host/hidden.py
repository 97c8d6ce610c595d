"""Parent side: error texts of hidden calls, with nothing in them that can carry an input.

Spec: "Hidden tests never reveal expected values, nor numbers from which they follow".
What student code raises during a hidden call can carry its inputs
(``raise ValueError(str(scores))``), and the child that formats it is not trusted. So the
error of a hidden call is rebuilt here, from the request's own chunks:

- traceback entries are kept only where they name the student's code as it is: an origin
  of the request, a line inside one of its chunks, and that line's source text;
- the exception keeps its type and the first line of its message, every number in it
  masked as ``#``, blanks squeezed, cut to MAX_MESSAGE_CHARS. Masking rather than dropping
  keeps honest messages useful ("shapes (#,#) (#,#)" still says broadcasting failed),
  while the first line alone keeps an array's layout from showing;
- every other error text (crashes, unreadable results) is masked the same way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from reference.pack import Observation

from .api import SourceChunk

MAX_MESSAGE_CHARS = 200
NUMBER = re.compile(
    r"(?<![\w.])(?:0[xX][0-9a-fA-F]+|[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)"
)
BLANKS = re.compile(r"\s+")
ENTRY = re.compile(r'  File "(?P<origin>[^"\n]+)", line (?P<line>\d+)(?:, in (?P<name>\S+))?$')
CODE_NAMES = frozenset(
    {"<module>", "<lambda>", "<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>"}
)


def scrub(observation: Observation, chunks: Sequence[SourceChunk]) -> Observation:
    """Return ``observation`` with its error text safe to show for a hidden test."""
    if not observation.error:
        return observation
    if observation.status == "exception":
        return replace(observation, error=exception_text(observation.error, chunks))
    return replace(observation, error=mask(first_line(observation.error)))


def mask(text: str) -> str:
    """Replace every number in ``text`` by '#', runs of blanks by one space (padding shows
    how wide the numbers were), and cut it to MAX_MESSAGE_CHARS."""
    masked = BLANKS.sub(" ", NUMBER.sub("#", text))
    return masked if len(masked) <= MAX_MESSAGE_CHARS else masked[:MAX_MESSAGE_CHARS] + " ..."


def first_line(text: str) -> str:
    """The first non-blank line of ``text``, stripped ('' if none)."""
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def exception_text(error: str, chunks: Sequence[SourceChunk]) -> str:
    """Rebuild a child's exception text: verified traceback entries, then a masked message."""
    lines = error.splitlines()
    index = 1 if lines and lines[0].startswith("Traceback") else 0
    entries = []
    while index < len(lines):
        if lines[index].strip().startswith("...") and lines[index].strip().endswith("..."):
            entries.append("  ...")  # "... 37 more frames ...": the count could be a number
            index += 1
            continue
        match = ENTRY.match(lines[index])
        if match is None:
            break
        source = lines[index + 1].strip() if index + 1 < len(lines) else ""
        if genuine(match, source, chunks):
            entries.append(f"{match.group(0)}\n    {source}")
        index += 2
    message = mask(first_line("\n".join(lines[index:])))
    head = "Traceback (most recent call last):\n" if entries else ""
    return head + "".join(entry + "\n" for entry in entries) + message


def genuine(match: re.Match, source: str, chunks: Sequence[SourceChunk]) -> bool:
    """Whether a traceback entry names a line of the student's code with its own text."""
    name, line = match.group("name"), int(match.group("line"))
    for chunk in chunks:
        if chunk.origin != match.group("origin"):
            continue
        code = chunk.code.splitlines()
        if not 0 <= line - chunk.first_line < len(code):
            continue
        named = name is None or name in CODE_NAMES or (name.isidentifier() and name in chunk.code)
        return named and code[line - chunk.first_line].strip() == source
    return False
