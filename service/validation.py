"""Check an uploaded file before it is accepted: name, size, encoding, notebook format.

These checks are cheap and run in the web process; nothing here executes or imports the
student's code. Every refusal is a ProblemError whose message says what to fix.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass

import nbformat

from service.errors import InvalidSubmissionError, PayloadTooLargeError

SUFFIXES = (".py", ".ipynb")
MAX_FILENAME_CHARS = 128


@dataclass(frozen=True)
class ValidFile:
    """A file that passed every check: its name, its text and the SHA-256 of its bytes."""

    filename: str
    text: str
    sha256: str


def check_filename(filename: str | None) -> str:
    """Return ``filename`` if it is a plain .py/.ipynb name (no path, no control characters)."""
    if not filename:
        raise InvalidSubmissionError("the file has no name; send it as e.g. 'submission.py'")
    if len(filename) > MAX_FILENAME_CHARS:
        raise InvalidSubmissionError(f"the file name is longer than {MAX_FILENAME_CHARS} chars")
    if "/" in filename or "\\" in filename or not filename.isprintable():
        raise InvalidSubmissionError(
            "the file name must be a plain name: no folders, no control or NUL characters"
        )
    if filename.startswith(".") or not filename.endswith(SUFFIXES):
        raise InvalidSubmissionError("send a .py file or a .ipynb notebook (e.g. 'hw4.py')")
    return filename


def decode_text(data: bytes, max_bytes: int) -> str:
    """Return ``data`` as text if it is small enough, not empty and valid UTF-8."""
    if len(data) > max_bytes:
        raise PayloadTooLargeError(
            f"the file has {len(data)} bytes; the limit is {max_bytes}", limit=max_bytes
        )
    if not data.strip():
        raise InvalidSubmissionError("the file is empty")
    try:
        return data.decode("utf-8-sig")  # a leading byte-order mark is harmless: drop it
    except UnicodeDecodeError as exc:
        raise InvalidSubmissionError(
            f"the file is not valid UTF-8 (byte {exc.start}); save it as UTF-8"
        ) from None


def check_notebook(text: str) -> None:
    """Raise InvalidSubmissionError unless ``text`` is a valid nbformat 4 notebook."""
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidSubmissionError(
            f"the notebook is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(notebook, dict) or notebook.get("nbformat") != 4:
        raise InvalidSubmissionError(
            "the file is not a Jupyter notebook in format 4; save it from Jupyter as .ipynb"
        )
    # Format 4.5 wants cell ids, which older tools leave out and nbformat only warns about
    # (then fills in); validate a copy with ids filled, the stored text stays as sent.
    notebook = copy.deepcopy(notebook)
    for index, cell in enumerate(notebook.get("cells") or []):
        if isinstance(cell, dict):
            cell.setdefault("id", f"cell-{index}")
    try:
        nbformat.validate(notebook)
    except nbformat.ValidationError as exc:
        reason = str(exc.message if hasattr(exc, "message") else exc).splitlines()[0]
        raise InvalidSubmissionError(f"the notebook is not valid: {reason}") from None


def validate_file(filename: str | None, data: bytes, max_bytes: int) -> ValidFile:
    """Run every check on one uploaded file and return it as a :class:`ValidFile`."""
    name = check_filename(filename)
    text = decode_text(data, max_bytes)
    if name.endswith(".ipynb"):
        check_notebook(text)
    return ValidFile(filename=name, text=text, sha256=hashlib.sha256(data).hexdigest())
