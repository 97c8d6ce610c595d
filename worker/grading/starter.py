"""Starter files from a Pack: a ``.py`` and a ``.ipynb`` with every function to write.

Each function has the pack's signature and docstring and raises NotImplementedError, so a
starter file grades as 0 with every function reported as not implemented. A pack with its
own ``starter_cells`` (a notebook exercise) gets exactly those (worker.grading.starter_cells).
Output is deterministic (fixed notebook cell ids), so the catalog can publish and compare it.
"""

from __future__ import annotations

import textwrap

from reference.pack import FunctionSpec, Pack
from worker.grading.starter_cells import cells_ipynb, cells_py


def starter_py(pack: Pack) -> str:
    """Return the starter ``.py`` file of ``pack``."""
    if pack.starter_cells:
        return cells_py(pack)
    parts = [header(pack, "#"), pack.starter_preamble.strip()]
    parts += [function_stub(spec) for spec in pack.functions]
    return "\n\n\n".join(part for part in parts if part) + "\n"


def starter_ipynb(pack: Pack) -> str:
    """Return the starter notebook (nbformat 4 JSON) of ``pack``."""
    import nbformat  # slow to import; only needed here

    cells = [nbformat.v4.new_markdown_cell(intro_markdown(pack))]
    if pack.starter_preamble.strip():
        cells.append(nbformat.v4.new_code_cell(pack.starter_preamble.strip()))
    cells += [nbformat.v4.new_code_cell(function_stub(spec)) for spec in pack.functions]
    if pack.starter_cells:  # the pack's own cells, exactly
        cells = cells_ipynb(pack)
    for index, cell in enumerate(cells):
        cell.id = f"cell-{index}"
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    notebook.metadata["language_info"] = {"name": "python"}
    nbformat.validate(notebook)
    return nbformat.writes(notebook) + "\n"


def header(pack: Pack, comment: str) -> str:
    """Return the opening comment of a starter file."""
    lines = [
        f"{pack.id}: {pack.title}",
        "",
        "Write each function below (replace `raise NotImplementedError`), then submit this file.",
        "Where the autograder is installed, you can check your work first with:",
        f"    autograder grade --assignment {pack.id} {pack.id}.py",
        f"Total: {pack.max_score:g} points. Do not modify the arguments of a function in place.",
    ]
    return "\n".join(f"{comment} {line}".rstrip() for line in lines)


def intro_markdown(pack: Pack) -> str:
    """Return the notebook's first (markdown) cell."""
    rows = "\n".join(f"| `{s.signature}` | {s.points:g} |" for s in pack.functions)
    return (
        f"# {pack.title}\n\n"
        f"Assignment `{pack.id}`. Write each function below (replace "
        "`raise NotImplementedError`); cells run top to bottom, and lines starting with `%` "
        "or `!` are skipped by the grader.\n\n"
        f"| function | points |\n| --- | --- |\n{rows}\n"
    )


def function_stub(spec: FunctionSpec) -> str:
    """Return ``def <signature>:`` with its docstring and ``raise NotImplementedError``."""
    doc = textwrap.indent(docstring_literal(spec.docstring.strip()), "    ")
    return f"def {spec.signature}:\n{doc}\n    raise NotImplementedError"


def docstring_literal(text: str) -> str:
    """Return a triple-quoted docstring literal whose ``inspect.cleandoc`` value is ``text``.

    Text with backslashes (LaTeX, paths) is written raw when it can be, so it reads as is.
    """
    closing = "\n" if "\n" in text else ""
    if "\\" in text and '"""' not in text and not text.endswith(("\\", '"')):
        return f'r"""{text}{closing}"""'
    escaped = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if escaped.endswith('"'):
        escaped = escaped[:-1] + '\\"'
    return f'"""{escaped}{closing}"""'
