"""The README documents every setting, with the default the code really has."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from common.settings import Settings

DOC = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
ROWS = dict(re.findall(r"^\| `(AUTOGRADER_\w+)` \| ([^|]+) \|", DOC, flags=re.M))


def shown(value: object) -> str:
    """Return a default as the table writes it."""
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if value == []:
        return "empty"
    return f"`{value}`"


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_setting_is_in_the_table_with_its_default(name):
    field = Settings.model_fields[name]
    default = field.default_factory() if field.default_factory else field.default
    assert ROWS.get(f"AUTOGRADER_{name.upper()}", "").strip() == shown(default)
