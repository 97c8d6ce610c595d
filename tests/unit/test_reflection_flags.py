"""Static flags for staff: reflection and dynamic-import primitives in a submission."""

from __future__ import annotations

import ast
import textwrap

import pytest

from worker.grading.reflection import reflection_flags
from worker.sandbox.host.api import SourceChunk


def flags(code: str) -> list[tuple[str, str | None, str]]:
    found = reflection_flags(ast.parse(textwrap.dedent(code)).body)
    return [(f.kind, f.function, f.message) for f in found]


@pytest.mark.parametrize(
    ("code", "kind", "function", "words"),
    [
        ("import importlib\n", "dynamic_import", None, "line 1: imports importlib"),
        ("def f(x):\n    from importlib import import_module\n", "dynamic_import", "f", "line 2"),
        ("def f(x):\n    m = __import__('to' + 'rch')\n", "dynamic_import", "f", "uses __import__"),
        ("def f(x):\n    import gc\n", "reflection", "f", "imports gc"),
        ("import sys\ndef f(x):\n    return sys.modules\n", "reflection", "f", "sys.modules"),
        ("import sys as s\ndef f(x):\n    s.meta_path.clear()\n", "reflection", "f", "meta_path"),
        ("import sys\ndef f(x):\n    sys._getframe(1)\n", "reflection", "f", "sys._getframe"),
        ("import builtins\nbuiltins.len = None\n", "reflection", None, "imports builtins"),
        ("def f(x):\n    __builtins__['len'] = None\n", "reflection", "f", "__builtins__"),
        (
            "import numpy as np\ndef f(x):\n    return getattr(np, 'ex' + 'p')(x)\n",
            "reflection",
            "f",
            "getattr() on the module numpy with a computed name",
        ),
        ("import numpy\ndef f(x):\n    return vars(numpy)\n", "reflection", "f", "vars()"),
        ("import ctypes\n", "reflection", None, "imports ctypes"),
    ],
)
def test_each_primitive_is_flagged_where_it_is(code, kind, function, words):
    found = flags(code)
    assert found and found[0][:2] == (kind, function)
    assert any(words in message for _, _, message in found)


@pytest.mark.parametrize(
    "code",
    [
        "import numpy as np\ndef f(x):\n    return getattr(np, 'exp')(x)\n",  # a constant name
        "def f(x):\n    return getattr(x, name)\n",  # an object, not a module
        "import os\ndef f(x):\n    return os.path.join('a', 'b')\n",
        "def f(x):\n    gc = 3\n    return gc + x  # a name, not the module\n",
        "s = 'import importlib'  # in a string\n",
    ],
)
def test_ordinary_code_is_not_flagged(code):
    assert flags(code) == []


def test_a_notebook_flag_names_its_cell():
    code = "import gc\n"
    chunk = SourceChunk(code, "cell 3", first_line=1, cell=2)
    found = reflection_flags(ast.parse(code).body, [chunk])
    assert (
        found[0].message == "cell 3, line 1: imports gc (reaches any live object, the guard's too)"
    )


def test_one_flag_per_construct_and_definition():
    assert len(flags("import gc\ndef f(x):\n    import gc\n    import gc\n")) == 2
