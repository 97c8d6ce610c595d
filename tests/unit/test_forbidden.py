"""Static forbidden-call analysis: a table of snippets that do and do not use forbidden calls."""

from __future__ import annotations

import ast
import textwrap

import pytest

from reference.pack import Forbidden
from worker.grading.forbidden import analyse, forbidden_uses

TORCH = Forbidden(
    calls=(
        "torch.nn.functional.cross_entropy",
        "torch.nn.functional.log_softmax",
        "torch.nn.functional.softmax",
        "torch.softmax",
        "torch.log_softmax",
        "torch.logsumexp",
        "torch.nn.CrossEntropyLoss",
        "torch.autograd",
        "torch.optim",
    ),
    methods=("softmax", "log_softmax", "backward"),
)
NUMPY = Forbidden(
    modules=("torch", "tensorflow", "jax", "sklearn"),
    calls=("scipy.special.softmax", "scipy.special.logsumexp"),
)


def uses(source: str, forbidden: Forbidden = TORCH, owner: str = "Tensor") -> dict:
    """Return the non-empty forbidden uses of softmax / cross_entropy / sgd_step."""
    statements = ast.parse(textwrap.dedent(source)).body
    found = forbidden_uses(statements, forbidden, ["softmax", "cross_entropy", "sgd_step"], owner)
    return {name: used for name, used in found.items() if used}


POSITIVE = {
    "module alias": (
        """
        import torch.nn.functional as F
        def cross_entropy(scores, labels):
            return F.cross_entropy(scores, labels)
        """,
        {"cross_entropy": ("torch.nn.functional.cross_entropy",)},
    ),
    "from-import of a module": (
        """
        from torch.nn import functional
        def softmax(scores):
            return functional.softmax(scores, dim=1)
        """,
        {"softmax": ("torch.nn.functional.softmax",)},
    ),
    "from-import of a function under another name": (
        """
        from torch import softmax as s
        def softmax(scores):
            return s(scores, 1)
        """,
        {"softmax": ("torch.softmax",)},
    ),
    "full attribute chain": (
        """
        import torch
        def cross_entropy(scores, labels):
            return torch.nn.functional.cross_entropy(scores, labels)
        """,
        {"cross_entropy": ("torch.nn.functional.cross_entropy",)},
    ),
    "loss module through nn": (
        """
        from torch import nn
        def cross_entropy(scores, labels):
            return nn.CrossEntropyLoss()(scores, labels)
        """,
        {"cross_entropy": ("torch.nn.CrossEntropyLoss",)},
    ),
    "method on any object": (
        """
        def softmax(scores):
            return scores.softmax(dim=1)
        """,
        {"softmax": ("Tensor.softmax",)},
    ),
    "backward and optim": (
        """
        import torch
        def sgd_step(W, b, dW, db, lr):
            loss = (W * W).sum()
            loss.backward()
            return torch.optim.SGD([W], lr=lr)
        """,
        {"sgd_step": ("Tensor.backward", "torch.optim")},
    ),
    "method through the class": (
        """
        import torch
        def softmax(scores):
            return torch.Tensor.softmax(scores, 1)
        """,
        {"softmax": ("Tensor.softmax",)},
    ),
    "getattr with a constant name": (
        """
        import torch
        def softmax(scores):
            return getattr(torch, "softmax")(scores, 1)
        """,
        {"softmax": ("torch.softmax",)},
    ),
    "through a helper": (
        """
        import torch
        def stable(scores):
            return torch.logsumexp(scores, dim=1)
        def helper(scores):
            return stable(scores)
        def cross_entropy(scores, labels):
            return helper(scores).mean()
        def softmax(scores):
            return scores
        """,
        {"cross_entropy": ("torch.logsumexp",)},
    ),
    "module-level alias used in one function": (
        """
        import torch
        lsm = torch.log_softmax
        def cross_entropy(scores, labels):
            return -lsm(scores, 1).mean()
        def softmax(scores):
            return scores.exp() / scores.exp().sum(1, keepdim=True)
        """,
        {"cross_entropy": ("torch.log_softmax",)},
    ),
    "module-level object built from a forbidden call": (
        """
        import torch.nn as nn
        loss_fn = nn.CrossEntropyLoss()
        def cross_entropy(scores, labels):
            return loss_fn(scores, labels)
        """,
        {"cross_entropy": ("torch.nn.CrossEntropyLoss",)},
    ),
    "star import": (
        """
        from torch.nn.functional import *
        def cross_entropy(scores, labels):
            return -log_softmax(scores, 1).mean()
        """,
        {"cross_entropy": ("torch.nn.functional.log_softmax",)},
    ),
    "import inside the function": (
        """
        def sgd_step(W, b, dW, db, lr):
            import torch.optim
            return W, b
        """,
        {"sgd_step": ("torch.optim",)},
    ),
    "local alias": (
        """
        import torch.nn.functional as F
        def cross_entropy(scores, labels):
            ce = F.cross_entropy
            return ce(scores, labels)
        """,
        {"cross_entropy": ("torch.nn.functional.cross_entropy",)},
    ),
    "a graded name bound by an import": (
        """
        from torch import softmax
        """,
        {"softmax": ("torch.softmax",)},
    ),
    "an import after the student's own definition wins": (
        """
        def log_softmax(x, dim):
            return x
        from torch import log_softmax
        def cross_entropy(scores, labels):
            return -log_softmax(scores, 1).mean()
        """,
        {"cross_entropy": ("torch.log_softmax",)},
    ),
}

NEGATIVE = {
    "student's own log_softmax helper": """
        import torch
        def log_softmax(x):
            return x - x.max(1, keepdim=True).values
        def cross_entropy(scores, labels):
            return -log_softmax(scores)[range(len(labels)), labels].mean()
        """,
    "names in comments and strings": """
        import torch
        def softmax(scores):
            # torch.softmax(scores) would be cheating
            note = "F.cross_entropy and x.softmax() are forbidden"
            return torch.exp(scores) / torch.exp(scores).sum(1, keepdim=True)
        """,
    "parameter shadowing a module alias": """
        import torch.nn.functional as F
        def cross_entropy(F, labels):
            return F.cross_entropy(labels)
        """,
    "own class with a softmax method": """
        class Ops:
            def softmax(self, x):
                return x
            def run(self, x):
                return self.softmax(x)
        def softmax(scores):
            return Ops().run(scores) + Ops.softmax(None, scores)
        """,
    "forbidden call in an unrelated function": """
        import torch
        def plot_probs(scores):
            return torch.softmax(scores, 1)
        def softmax(scores):
            return scores.exp() / scores.exp().sum(1, keepdim=True)
        """,
    "allowed torch functions": """
        import torch
        def softmax(scores):
            shifted = scores - scores.max(dim=1, keepdim=True).values
            return torch.exp(shifted) / torch.exp(shifted).sum(dim=1, keepdim=True)
        """,
}


@pytest.mark.parametrize("source, expected", POSITIVE.values(), ids=POSITIVE.keys())
def test_forbidden_use_is_charged_to_the_graded_function(source, expected):
    assert uses(source) == expected


@pytest.mark.parametrize("source", NEGATIVE.values(), ids=NEGATIVE.keys())
def test_code_without_forbidden_use_is_not_charged(source):
    assert uses(source) == {}


def test_numpy_variant_charges_forbidden_modules_and_scipy_calls_to_their_users():
    source = """
        import scipy.special as sp
        from scipy.special import logsumexp
        from sklearn.preprocessing import normalize
        import torch
        from scipy.special import expit
        def softmax(scores):
            return sp.softmax(scores, axis=1)
        def cross_entropy(scores, labels):
            return logsumexp(scores) + torch.zeros(1).item()
        def sgd_step(W, b, dW, db, lr):
            return normalize(W), expit(b)
        """
    assert uses(source, NUMPY, "ndarray") == {
        "softmax": ("scipy.special.softmax",),
        "cross_entropy": ("scipy.special.logsumexp", "torch"),
        "sgd_step": ("sklearn",),
    }


def test_numpy_variant_unused_forbidden_import_costs_nothing():
    source = """
        import torch
        import numpy as np
        def softmax(scores):
            e = np.exp(scores - scores.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)
        """
    assert uses(source, NUMPY, "ndarray") == {}


def test_every_graded_function_is_in_the_answer_even_when_clean_or_missing():
    found = forbidden_uses([], TORCH, ["softmax", "quality"], "Tensor")
    assert found == {"softmax": (), "quality": ()}


def test_what_a_function_may_call_follows_the_students_own_code_and_missing_names():
    source = """
        from torch import softmax as s
        def step(W, dW):
            return sgd_step(W, dW)
        def cross_entropy(scores, labels):
            return _loss(scores, labels)
        def _loss(scores, labels):
            return -log_softmax(scores)[labels].mean()
        def train(W, X):
            softmax = lambda z: z  # a local name: not the graded softmax
            return step(W, cross_entropy(softmax(X), 0))
        """
    statements = ast.parse(textwrap.dedent(source)).body
    facts = analyse(statements, TORCH, ["train", "cross_entropy", "s"], "Tensor")
    assert {"step", "sgd_step", "cross_entropy", "_loss", "log_softmax"} <= facts.reaches["train"]
    assert "softmax" not in facts.reaches["train"]
    assert facts.reaches["cross_entropy"] >= {"_loss", "log_softmax"}
    assert facts.reaches["s"] == frozenset()  # imported: the student's code calls nothing
