"""The pack's README.md as text, for ``Pack.readme``."""

from __future__ import annotations

from importlib.resources import files

README = files(__package__).joinpath("README.md").read_text(encoding="utf-8")
