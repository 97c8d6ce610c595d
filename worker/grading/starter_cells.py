"""Starter files of a pack that writes its own cells (``Pack.starter_cells``): a notebook
exercise whose students complete cells rather than functions.

The notebook holds exactly the pack's cells, in order; the ``.py`` file holds the same
code, each markdown cell as comment lines above it.
"""

from __future__ import annotations

import textwrap

from reference.pack import Pack


def cells_py(pack: Pack) -> str:
    """Return the ``.py`` starter: a header, then every cell (markdown as comments)."""
    header = [
        f"# {pack.id}: {pack.title}",
        "#",
        "# Complete every line marked `# COMPLETE HERE`, then submit this file (or the",
        "# notebook). As given, those lines are a syntax error, so the file cannot be graded.",
    ]
    parts = ["\n".join(header)]
    for cell in pack.starter_cells:
        if cell.kind == "markdown":
            lines = textwrap.wrap(cell.source, width=86) or [""]
            parts.append("\n".join(f"# {line}".rstrip() for line in lines))
        else:
            parts.append(cell.source.strip())
    return "\n\n".join(parts) + "\n"


def cells_ipynb(pack: Pack) -> list:
    """Return the notebook cells (nbformat 4 nodes, with fixed ids) of ``pack``."""
    import nbformat  # slow to import; only needed here

    make = {"markdown": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell}
    return [make[cell.kind](cell.source) for cell in pack.starter_cells]
