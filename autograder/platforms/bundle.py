"""Write the Gradescope autograder zip: setup.sh, run_autograder, the package, the config."""

from __future__ import annotations

import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path

from autograder.platforms import gradescope_files as files
from autograder.platforms.config import (
    CONFIG_NAME,
    HiddenVisibility,
    PlatformConfig,
    battery_digest,
)
from reference.pack import Pack

PACKAGES = ("autograder", "common", "reference", "service", "worker")
SOURCE_DIR = "autograder-src"
EXECUTABLE = (stat.S_IFREG | 0o755) << 16
REGULAR = (stat.S_IFREG | 0o644) << 16


class NotACheckoutError(RuntimeError):
    """The package is not installed from a source checkout (no pyproject.toml beside it)."""


def project_root() -> Path:
    """The checkout our package runs from (its pyproject.toml is bundled)."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "pyproject.toml").is_file():
        raise NotACheckoutError(f"no pyproject.toml in {root}: export from a source checkout")
    return root


def write_bundle(pack: Pack, out: Path, hidden: HiddenVisibility) -> list[str]:
    """Write the zip for ``pack`` to ``out``; return the names in it.

    Every file lies at the root of the archive (Gradescope's rule); the scripts keep their
    executable bit.
    """
    config = PlatformConfig(
        assignment=pack.id, hidden_visibility=hidden, battery=battery_digest(pack)
    )
    values = dict(
        assignment=pack.id,
        venv=files.VENV,
        torch=files.TORCH,
        torch_index=files.TORCH_INDEX_URL,
        sandbox=config.sandbox,
        hidden=hidden,
    )
    generated = {
        "setup.sh": (files.SETUP_SH.substitute(values), EXECUTABLE),
        "run_autograder": (files.RUN_AUTOGRADER.substitute(values), EXECUTABLE),
        "README.md": (files.README.substitute(values), REGULAR),
        CONFIG_NAME: (config.model_dump_json(indent=2) + "\n", REGULAR),
    }
    root = project_root()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name, (text, mode) in generated.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.external_attr = mode
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, text)
        for path in source_files(root):
            arcname = f"{SOURCE_DIR}/{path.relative_to(root).as_posix()}"
            bundle.write(path, arcname)
        return bundle.namelist()


def source_files(root: Path) -> Iterator[Path]:
    """pyproject.toml and every file of our packages, without caches."""
    yield root / "pyproject.toml"
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                yield path
