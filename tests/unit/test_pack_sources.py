"""Packs outside the package: pack folders (AUTOGRADER_PACKS) and installed entry points are
found as the built-in packs are, and the catalog the service sees never holds a pack's
reference or hidden cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import reference.packs as registry
from common.settings import Settings
from worker.catalog_publisher import build_catalog
from worker.grading.pipeline import grade_source

PACKS = Path(__file__).resolve().parents[1] / "fixtures" / "packs"
COURSE, INSTALLED = PACKS / "course", PACKS / "installed"
BUILT_IN = {"lab01-cross-entropy", "lecture4-numpy", "lecture4-torch"}


@pytest.fixture(autouse=True)
def built_in_only():
    """Each test starts and ends with the built-in packs alone."""
    registry.configure([])
    registry._packs_by_id.cache_clear()
    yield
    registry.configure([])
    registry._packs_by_id.cache_clear()


def ids() -> set[str]:
    return {pack.id for pack in registry.list_packs()}


def pack_module(pack_id: str) -> str:
    """The source of a pack module declaring one trivial pack ``pack_id``."""
    return (
        "from reference.pack import FunctionSpec, Pack\n"
        f"PACK = Pack(id={pack_id!r}, title='t', runtime='numpy', devices=('cpu',),\n"
        "    functions=(FunctionSpec('f', 1, 'f(x)', 'f'),), cases=lambda d: [], tolerances={})\n"
    )


def test_without_settings_only_the_built_in_packs_are_listed():
    assert ids() == BUILT_IN


def test_a_pack_folder_adds_its_module_and_package_packs():
    registry.configure([COURSE])
    assert ids() == BUILT_IN | {"course-relu", "course-double"}
    assert registry.get_pack("course-double").functions[0].name == "double"


def test_a_folder_pack_grades_like_a_built_in_one():
    registry.configure([COURSE])
    source = "import numpy as np\n\ndef relu(x):\n    return np.maximum(x, 0)\n"
    assert grade_source("course-relu", "relu.py", source).score == 10
    wrong = grade_source("course-relu", "relu.py", "def relu(x):\n    return abs(x)\n")
    assert wrong.score == 0 and "relu" in wrong.tests[0].message


def test_a_folder_module_named_like_an_installed_one_does_not_shadow_it(tmp_path):
    (tmp_path / "json.py").write_text(pack_module("course-json"))
    registry.configure([tmp_path])
    assert "course-json" in ids()
    assert json.dumps([1]) == "[1]" and not hasattr(json, "PACK")


def test_a_missing_pack_folder_is_a_load_error_naming_it(tmp_path):
    registry.configure([tmp_path / "nope"])
    with pytest.raises(registry.PackLoadError, match="nope does not exist"):
        registry.list_packs()


def test_a_pack_module_that_fails_to_import_is_a_load_error_naming_it(tmp_path):
    (tmp_path / "broken.py").write_text("raise RuntimeError('oops')\n")
    registry.configure([tmp_path])
    with pytest.raises(registry.PackLoadError, match=r"\.broken failed to import.*oops"):
        registry.list_packs()


def test_a_folder_pack_with_a_built_in_id_is_a_duplicate_naming_both(tmp_path):
    (tmp_path / "mine.py").write_text(pack_module("lecture4-numpy"))
    registry.configure([tmp_path])
    with pytest.raises(registry.DuplicatePackError, match=r"'lecture4-numpy'.*lecture4.*mine"):
        registry.list_packs()


def test_an_installed_entry_point_adds_its_packs(monkeypatch):
    monkeypatch.syspath_prepend(str(INSTALLED))
    registry._packs_by_id.cache_clear()
    assert ids() == BUILT_IN | {"course-inc"}
    source = "def inc(x):\n    return x + 1\n"
    assert grade_source("course-inc", "inc.py", source).score == 5


def test_the_packs_setting_is_a_path_list_like_path(monkeypatch):
    monkeypatch.setenv("AUTOGRADER_PACKS", "/srv/packs:/opt/course packs:")
    assert Settings().packs == [Path("/srv/packs"), Path("/opt/course packs")]
    monkeypatch.setenv("AUTOGRADER_PACKS", '["/a:b"]')
    assert Settings().packs == [Path("/a:b")]


def test_the_catalog_never_holds_a_packs_reference_or_hidden_cases():
    registry.configure([COURSE])
    catalog = build_catalog([registry.get_pack("course-relu"), registry.get_pack("course-double")])
    text = json.dumps({k: v.model_dump(mode="json") for k, v in catalog.items()})
    assert "relu: random" in text  # the visible case is public
    for secret in ("secret", "np.maximum", "reference_solution", "2 * x", "course_pkg"):
        assert secret not in text, secret
