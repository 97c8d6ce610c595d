"""Comparator tampering: checks run in the parent, so nothing in the child can bend them."""

from __future__ import annotations

from pathlib import Path

from worker.grading.pipeline import grade_source

CORRECT = (Path(__file__).parents[1] / "fixtures" / "submissions" / "numpy_correct.py").read_text()


def softmax_points(attack, source: str, pack: str = "lecture4-numpy") -> float:
    result = grade_source(pack, "submission.py", source, runner=attack.sandbox)
    return sum(t.score for t in result.tests if t.function == "softmax")


def test_patching_numpy_comparisons_in_the_child_changes_nothing(attack):
    cheat = (
        CORRECT
        + """
import numpy as np

def softmax(scores):
    return np.zeros_like(scores)

np.allclose = lambda *a, **k: True
np.array_equal = lambda *a, **k: True
np.isclose = lambda a, b, *r, **k: np.ones(np.shape(a), dtype=bool)
np.testing.assert_allclose = lambda *a, **k: None
np.isfinite = lambda a: np.ones(np.shape(a), dtype=bool)
"""
    )
    result = grade_source("lecture4-numpy", "submission.py", cheat, runner=attack.sandbox)
    assert result.error is None  # the patches all ran; only the comparison ignored them
    assert sum(t.score for t in result.tests if t.function == "softmax") == 0
    attack.still_grades()


def test_an_ndarray_subclass_that_equals_everything_scores_nothing(attack):
    cheat = (
        CORRECT
        + """
import numpy as np
class Always(np.ndarray):
    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)
    def __sub__(self, other):
        return np.zeros(self.shape).view(Always)
    __rsub__ = __sub__
def softmax(scores):
    return np.zeros_like(scores).view(Always)
"""
    )
    assert softmax_points(attack, cheat) == 0
    attack.still_grades()


def test_a_tensor_subclass_with_torch_function_is_refused(attack):
    code = """
    import torch
    class Liar(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            return True
    def f(x):
        return torch.zeros(3).as_subclass(Liar)
    """
    report = attack.run(code, attack.call("f", x=attack.x()), runtime="torch")
    observation = report.observations["f"]
    assert observation.status == "bad_result"
    assert "Liar (a subclass of torch.Tensor)" in observation.error
    attack.still_grades("torch")


def test_nan_results_never_pass(attack):
    cheat = (
        CORRECT
        + """
import numpy as np
def softmax(scores):
    return np.full_like(scores, np.nan)
"""
    )
    assert softmax_points(attack, cheat) == 0
    attack.still_grades()


def test_stack_and_gc_hunts_find_no_expected_values(attack):
    cheat = (
        CORRECT
        + """
import gc, sys
import numpy as np
def softmax(scores):
    candidates = []
    frame = sys._getframe(1)
    while frame is not None:
        candidates += [v for v in frame.f_locals.values() if isinstance(v, np.ndarray)]
        frame = frame.f_back
    candidates += [o for o in gc.get_objects() if isinstance(o, np.ndarray)]
    for c in candidates:
        if c.shape == scores.shape and c is not scores and np.allclose(c.sum(axis=1), 1):
            return c.copy()
    return np.zeros_like(scores)
"""
    )
    assert softmax_points(attack, cheat) == 0
    attack.still_grades()


TORCH_CORRECT = (
    Path(__file__).parents[1] / "fixtures" / "submissions" / "torch_correct.py"
).read_text()


def test_patching_torch_comparisons_in_the_child_changes_nothing(attack):
    cheat = (
        TORCH_CORRECT
        + """
import torch

def softmax(scores):
    return torch.zeros_like(scores)

torch.allclose = lambda *a, **k: True
torch.equal = lambda *a, **k: True
torch.isclose = lambda a, b, *r, **k: torch.ones_like(a, dtype=torch.bool)
torch.testing.assert_close = lambda *a, **k: None
torch.Tensor.__eq__ = lambda self, other: torch.ones_like(self, dtype=torch.bool)
"""
    )
    result = grade_source("lecture4-torch", "submission.py", cheat, runner=attack.sandbox)
    assert result.error is None
    assert sum(t.score for t in result.tests if t.function == "softmax") == 0
    attack.still_grades("torch")
