"""The minimal pack in the README's "Writing an assignment pack" section really grades."""

from __future__ import annotations

import re
from pathlib import Path

from worker.grading.pipeline import grade_pack

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def readme_pack():
    """Run the README's example pack module (our own documentation, not student code)."""
    code = re.search(r"```python\n(# reference/packs/demo\.py\n.*?)```", README, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - trusted docs
    return namespace["PACK"]


def test_readme_example_pack_gives_full_marks_to_a_correct_relu():
    result = grade_pack(
        readme_pack(),
        "relu.py",
        "import numpy as np\n\ndef relu(x):\n    return np.maximum(x, 0)\n",
    )
    assert (result.status, result.score, result.max_score) == ("graded", 10, 10)


def test_readme_example_pack_explains_a_wrong_relu():
    result = grade_pack(readme_pack(), "relu.py", "def relu(x):\n    return abs(x)\n")
    assert result.score == 0
    assert "relu" in result.tests[0].message
