"""The docs agree with each other and with the code: settings defaults, links."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^\| `(AUTOGRADER_[A-Z0-9_]+)` \| ([^|]+) \|", re.MULTILINE)
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def defaults(path: Path) -> dict[str, str]:
    return {name: same(default) for name, default in ROW.findall(path.read_text())}


def same(default: str) -> str:
    """A default as written, with `240` and `240.0` alike."""
    text = default.strip().strip("`")
    try:
        return repr(float(text))
    except ValueError:
        return text


@pytest.mark.parametrize("page", sorted((REPO / "docs").glob("*.md")), ids=lambda p: p.name)
def test_every_settings_table_in_docs_gives_the_readmes_default(page: Path):
    readme = defaults(REPO / "README.md")
    wrong = {n: d for n, d in defaults(page).items() if n in readme and d != readme[n]}
    assert wrong == {}, f"{page.name} disagrees with README.md: {wrong}"


@pytest.mark.parametrize(
    "page",
    [REPO / "README.md", *sorted((REPO / "reference" / "packs").rglob("README.md"))],
    ids=lambda p: str(p.relative_to(REPO)),
)
def test_relative_links_resolve(page: Path):
    targets = [t for t in LINK.findall(page.read_text()) if "://" not in t]
    missing = [t for t in targets if not (page.parent / t).exists()]
    assert missing == []
