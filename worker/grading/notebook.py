"""Read a Jupyter notebook submission: validate it, drop IPython magics, chunk its code cells.

Code cells run top to bottom. A line that starts with ``%`` or ``!`` (after leading
whitespace; ``!=`` excepted) is an IPython magic or shell command: it is blanked, not run,
so the line numbers of the rest of the cell stay right. A cell that starts with ``%%`` is
a cell magic and is skipped whole. Cells are named 'cell N', N counted from 1 over every
cell (markdown included); ``SourceChunk.cell`` and ``GradingError.cell`` are 0-based.
"""

from __future__ import annotations

import warnings

import nbformat

from worker.grading.chunks import (
    MAX_CELLS,
    MAX_NOTEBOOK_CHARS,
    MAX_SOURCE_CHARS,
    NotGradableError,
    ParsedSource,
    chunk_pieces,
    parse_piece,
)


def parse_notebook(text: str) -> ParsedSource:
    """Parse a notebook's JSON ``text`` into chunks of its code cells (see module doc)."""
    pieces, code_chars = [], 0
    for index, cell in enumerate(read_cells(text)):
        if cell.get("cell_type") != "code":
            continue
        code = strip_magics(cell.get("source", ""))
        code_chars += len(code)
        if code_chars > MAX_SOURCE_CHARS:
            raise NotGradableError(
                "too_large", f"your notebook has more than {MAX_SOURCE_CHARS:,} characters of code"
            )
        pieces.append(parse_piece(code, origin=f"cell {index + 1}", cell=index))
    parsed = chunk_pieces(pieces)
    if not parsed.chunks:
        raise NotGradableError(
            "empty", "your notebook has no code to run: its code cells are empty"
        )
    return parsed


def read_cells(text: str) -> list:
    """Return the cells of a valid nbformat-4 notebook, or raise NotGradableError."""
    if len(text) > MAX_NOTEBOOK_CHARS:
        raise NotGradableError(
            "too_large",
            f"your notebook is {len(text):,} characters long; the limit is {MAX_NOTEBOOK_CHARS:,}"
            " (clear the cell outputs and submit again)",
        )
    if not text.strip():
        raise NotGradableError("empty", "your notebook file is empty: there is nothing to grade")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbformat warns about missing cell ids and the like
        try:
            notebook = nbformat.reads(text, as_version=4)
            nbformat.validate(notebook)
        except nbformat.reader.NotJSONError:
            raise invalid("the file is not valid JSON") from None
        except nbformat.ValidationError as exc:
            raise invalid(
                f"it breaks the notebook format ({first_line(str(exc.message))})"
            ) from None
        except Exception:  # nbformat raises anything (TypeError, KeyError...) on other junk
            raise invalid("the file is JSON but not a Jupyter notebook") from None
    cells = notebook.get("cells", [])
    if len(cells) > MAX_CELLS:
        raise NotGradableError(
            "too_large", f"your notebook has {len(cells)} cells; the limit is {MAX_CELLS}"
        )
    return cells


def invalid(reason: str) -> NotGradableError:
    """Return the error for a file that is not a valid notebook."""
    return NotGradableError(
        "invalid_notebook",
        f"cannot read your notebook: {reason}. Save it from Jupyter as .ipynb and submit again.",
    )


def first_line(text: str, limit: int = 200) -> str:
    """Return the first line of ``text``, cut to ``limit`` characters."""
    line = text.strip().split("\n", 1)[0]
    return line if len(line) <= limit else line[: limit - 3] + "..."


def strip_magics(code: str) -> str:
    """Blank IPython magic and shell lines; return '' for a ``%%`` cell magic."""
    if code.lstrip().startswith("%%"):
        return ""
    lines = code.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join("" if is_magic(line) else line for line in lines)


def is_magic(line: str) -> bool:
    """Whether ``line`` is an IPython line magic (``%...``) or shell escape (``!...``)."""
    stripped = line.lstrip()
    return stripped.startswith("%") or (stripped.startswith("!") and not stripped.startswith("!="))
