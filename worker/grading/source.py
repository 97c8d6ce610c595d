"""Turn a submission (a ``.py`` file or a Jupyter notebook) into chunks the sandbox runs.

Everything here runs in the trusted parent and never executes student code: ``ast.parse``
compiles without running. A submission that cannot be run at all raises
:class:`NotGradableError` with a kind ('syntax_error', 'invalid_notebook', 'too_large',
'empty', 'not_utf8', 'unsupported_file') and a message a student can act on.

The chunks themselves are made in worker.grading.chunks.
Notebook chunks carry ``origin='cell N'`` with N counted from 1 over every cell of the
notebook (markdown cells included, as a student counts them scrolling down), line numbers
within that cell, and ``cell`` = the 0-based index of that cell in the notebook.
"""

from __future__ import annotations

from worker.grading.chunks import (
    MAX_SOURCE_CHARS,
    NotGradableError,
    ParsedSource,
    chunk_pieces,
    parse_piece,
)


def parse_submission(filename: str, source: str | bytes) -> ParsedSource:
    """Parse ``source`` by the extension of ``filename`` ('.py' or '.ipynb').

    Raises NotGradableError for anything that cannot be run.
    """
    text = decode(source)
    lowered = filename.lower()
    if lowered.endswith(".py"):
        return parse_python(text, origin=filename.rsplit("/", 1)[-1])
    if lowered.endswith(".ipynb"):
        from worker.grading.notebook import parse_notebook  # nbformat is slow to import

        return parse_notebook(text)
    raise NotGradableError(
        "unsupported_file", f"cannot grade {filename!r}: submit a .py file or a .ipynb notebook"
    )


def decode(source: str | bytes) -> str:
    """Return ``source`` as text: UTF-8 (a leading byte-order mark is dropped)."""
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NotGradableError(
                "not_utf8",
                f"your file is not valid UTF-8 text (byte {exc.start} cannot be decoded): "
                "save it with UTF-8 encoding",
            ) from None
    return source.removeprefix("\ufeff")


def parse_python(text: str, origin: str) -> ParsedSource:
    """Parse a ``.py`` file's ``text`` into chunks (``origin`` names it in messages)."""
    check_size(text)
    if not text.strip():
        raise NotGradableError("empty", "your file is empty: there is nothing to grade")
    return chunk_pieces([parse_piece(text, origin)])


def check_size(text: str) -> None:
    """Refuse code longer than MAX_SOURCE_CHARS."""
    if len(text) > MAX_SOURCE_CHARS:
        raise NotGradableError(
            "too_large",
            f"your code has {len(text):,} characters; the limit is {MAX_SOURCE_CHARS:,}",
        )
