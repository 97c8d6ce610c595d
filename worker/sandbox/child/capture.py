"""Child side: bounded capture of the student's output, and tracebacks of their code only.

Warnings name the student's file or cell and line too, never a chunk's pseudo file name;
figures a student draws are discarded after each chunk (plots are not graded).

Student code never writes to the protocol pipes: the child points fds 0-2 at /dev/null and
``sys.stdout``/``sys.stderr`` at a :class:`BoundedOutput`, which keeps the first
``limit`` characters and counts the rest. Tracebacks keep only frames whose file is one
of the student's chunks, renumbered to the line in the student's own file or cell.
"""

from __future__ import annotations

import io
import os
import sys
import traceback
import warnings
from dataclasses import dataclass

MAX_FRAMES = 12
MAX_ERROR_CHARS = 4000


class BoundedOutput(io.TextIOBase):
    """A text stream that keeps at most ``limit`` characters and counts what it dropped."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._parts: list[str] = []
        self._kept = 0
        self._sent = 0
        self._dropped_sent = 0
        self.dropped = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        room = self._limit - self._kept
        kept = text[: max(room, 0)]
        if kept:
            self._parts.append(kept)
            self._kept += len(kept)
        self.dropped += len(text) - len(kept)
        return len(text)

    def take(self) -> tuple[str, int]:
        """Return (text written since the last take, characters dropped since then)."""
        new = "".join(self._parts)[self._sent :]
        self._sent = self._kept
        dropped, self._dropped_sent = self.dropped - self._dropped_sent, self.dropped
        return new, dropped


def redirect_std_fds() -> None:
    """Point fds 0, 1 and 2 at /dev/null so nothing a student writes reaches our pipes."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


@dataclass(frozen=True)
class ChunkFile:
    """Where a compiled chunk's lines come from: the origin the student sees."""

    origin: str
    first_line: int
    lines: tuple[str, ...]


def chunk_filename(index: int) -> str:
    """The pseudo file name a chunk is compiled under; tracebacks keep only these."""
    return f"<student chunk {index}>"


def format_student_error(
    error: BaseException, files: dict[str, ChunkFile]
) -> tuple[str, int | None]:
    """Return (traceback text of the student's frames only, innermost student line or None).

    ``files`` maps chunk file names to their origin. Frames of NumPy, torch or the harness
    are left out; a SyntaxError names the line it points at.
    """
    entries, line = [], None
    for frame in traceback.extract_tb(error.__traceback__):
        where = files.get(frame.filename)
        if where is None or frame.lineno is None:
            continue
        line = where.first_line + frame.lineno - 1
        text = _line(where, frame.lineno)
        entries.append(f'  File "{where.origin}", line {line}, in {frame.name}\n    {text}')
    if isinstance(error, SyntaxError) and error.filename in files and error.lineno:
        where = files[error.filename]
        line = where.first_line + error.lineno - 1
        entries.append(f'  File "{where.origin}", line {line}\n    {_line(where, error.lineno)}')
    if len(entries) > MAX_FRAMES:
        skipped = len(entries) - MAX_FRAMES
        entries = entries[:2] + [f"  ... {skipped} more frames ..."] + entries[-MAX_FRAMES + 2 :]
    head = "Traceback (most recent call last):\n" if entries else ""
    message = exception_line(error)
    text = head + "\n".join(entries) + ("\n" if entries else "") + message
    if len(text) > MAX_ERROR_CHARS:
        text = text[: MAX_ERROR_CHARS // 2] + "\n...\n" + text[-MAX_ERROR_CHARS // 2 :]
    return text, line


def show_warnings_at_student_lines(files: dict[str, ChunkFile]) -> None:
    """Print warnings raised in the student's chunks at the file's or cell's own line.

    Python names the chunk ('<student chunk 3>:2: RuntimeWarning: ...'), which means
    nothing to a student; ``files`` maps those names to their origin.
    """

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        where = files.get(filename)
        if where is not None:
            line = _line(where, lineno)
            filename, lineno = where.origin, where.first_line + lineno - 1
        text = warnings.formatwarning(message, category, filename, lineno, line or "")
        try:
            (file or sys.stderr).write(text)
        except (OSError, ValueError):
            pass  # as Python's own showwarning: a closed stream loses the warning

    warnings.showwarning = show


def discard_plots() -> None:
    """Close every matplotlib figure, if pyplot is in use (figures are not graded)."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        try:
            pyplot.close("all")
        except Exception:  # noqa: BLE001 - a student may have replaced or broken pyplot
            pass


def _line(where: ChunkFile, lineno: int) -> str:
    if 1 <= lineno <= len(where.lines):
        return where.lines[lineno - 1].strip()
    return ""


def exception_line(error: BaseException) -> str:
    """``Type: message`` of an exception, even if its ``__str__`` raises."""
    if isinstance(error, SyntaxError):
        return f"{type(error).__name__}: {error.msg}"
    try:
        text = str(error)
    except Exception:  # noqa: BLE001 - a student's __str__ may raise anything
        text = "<unprintable message>"
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
