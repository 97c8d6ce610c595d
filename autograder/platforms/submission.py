"""Find the student's file in the folder a platform hands us."""

from __future__ import annotations

from pathlib import Path

SUFFIXES = (".py", ".ipynb")


class MissingSubmissionError(ValueError):
    """No single file to grade: the message is a sentence for the student."""


def find_submission(folder: Path, pack_id: str, max_bytes: int) -> Path:
    """Return the file to grade in ``folder`` (searched recursively).

    ``<pack_id>.py`` (or ``.ipynb``) wins; otherwise the only ``.py`` or ``.ipynb`` file.
    Dot files and macOS archive debris (``__MACOSX``) are skipped; links are never
    followed. Raises MissingSubmissionError when there is none, more than one, or the file
    is larger than ``max_bytes``.
    """
    candidates = sorted(
        path
        for path in folder.rglob("*")
        if path.suffix in SUFFIXES
        and path.is_file()
        and not path.is_symlink()
        and not any(part.startswith((".", "__MACOSX")) for part in path.relative_to(folder).parts)
    )
    wanted = [p for suffix in SUFFIXES for p in candidates if p.name == pack_id + suffix]
    if wanted:
        chosen = wanted[0]
    elif len(candidates) == 1:
        chosen = candidates[0]
    elif not candidates:
        raise MissingSubmissionError(
            f"no .py or .ipynb file was submitted: submit your {pack_id}.py"
        )
    else:
        names = ", ".join(str(p.relative_to(folder)) for p in candidates[:5])
        raise MissingSubmissionError(
            f"{len(candidates)} Python files were submitted ({names}): "
            f"name the one to grade {pack_id}.py"
        )
    size = chosen.stat().st_size
    if size > max_bytes:
        raise MissingSubmissionError(
            f"{chosen.name} has {size} bytes, more than the {max_bytes} accepted"
        )
    return chosen
