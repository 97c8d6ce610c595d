"""The lecture4 oracles: the reference on a student's arguments, in the caller's dtype."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from reference import kernels_numpy as ref
from reference.pack import TensorArg, TensorValue
from reference.packs import get_pack
from reference.packs.lecture4.oracles import oracles

RNG = np.random.default_rng(0)
W, b, X = RNG.normal(size=(3, 4)), RNG.normal(size=3), RNG.normal(size=(5, 4))
LABELS = np.array([0, 2, 1, 1, 0])
NUMPY, TORCH = oracles("numpy"), oracles("torch")


def tensor(array: np.ndarray) -> TensorValue:
    return TensorValue(array, array.dtype.name, "cuda:0")


def test_both_packs_lend_the_helpers_their_functions_name():
    for pack_id in ("lecture4-numpy", "lecture4-torch"):
        pack = get_pack(pack_id)
        helpers = {h for spec in pack.functions for h in spec.helpers}
        assert (
            helpers
            == set(pack.oracles)
            == {
                "softmax",
                "cross_entropy",
                "cross_entropy_grad",
                "sgd_step",
            }
        )
        assert pack.function("train_sgd").helpers and not pack.function("quality").helpers


def test_numpy_oracles_answer_like_the_reference():
    assert np.allclose(NUMPY["softmax"](X @ W.T), ref.softmax(X @ W.T))
    loss = NUMPY["cross_entropy"](X @ W.T + b, labels=LABELS)
    assert type(loss) is float and loss == pytest.approx(ref.cross_entropy(X @ W.T + b, LABELS))
    dW, db = NUMPY["cross_entropy_grad"](W, b, X, LABELS)
    want_dW, want_db = ref.cross_entropy_grad(W, b, X, LABELS)
    assert np.allclose(dW, want_dW) and np.allclose(db, want_db)
    W_new, b_new = NUMPY["sgd_step"](W, b, W, b, 0.5)
    assert np.allclose(W_new, W / 2) and np.allclose(b_new, b / 2)


def test_float32_arguments_get_float32_answers_computed_in_float64():
    probs = NUMPY["softmax"]((X @ W.T).astype(np.float32))
    assert probs.dtype == np.float32
    assert np.allclose(probs, ref.softmax(X @ W.T), atol=1e-6)


def test_torch_oracles_answer_with_tensor_args_in_the_input_dtype_without_torch():
    scores = (X @ W.T).astype(np.float32)
    probs = TORCH["softmax"](tensor(scores))
    assert type(probs) is TensorArg and probs.array.dtype == np.float32
    loss = TORCH["cross_entropy"](tensor(scores), tensor(LABELS))
    assert type(loss) is TensorArg and loss.array.shape == ()
    step = TORCH["sgd_step"](tensor(W), tensor(b), tensor(W), tensor(b), tensor(np.array(0.5)))
    assert all(type(part) is TensorArg for part in step)


def test_torch_oracles_never_import_torch():
    probe = (
        "import sys, numpy as np\n"
        "from reference.pack import TensorValue\n"
        "from reference.packs.lecture4.oracles import oracles\n"
        "oracles('torch')['softmax'](TensorValue(np.ones((2, 3)), 'float64', 'cuda:0'))\n"
        "print('torch' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("name", "args", "error", "words"),
    [
        ("softmax", (np.ones(3),), ValueError, "scores of shape (N, K)"),
        ("cross_entropy", (np.ones((2, 3)), np.array([0, 3])), ValueError, "labels in [0, K)"),
        ("cross_entropy", (np.ones((2, 3)), np.array([0.0, 1.0])), TypeError, "integers"),
        ("cross_entropy_grad", (W.T, b, X, LABELS), ValueError, "W (K, D), b (K,), X (N, D)"),
        ("sgd_step", (W, b, W.T, b, 0.1), ValueError, "dW of W's shape"),
        ("sgd_step", (W, b, W, b, "fast"), TypeError, "lr must be a number"),
        ("softmax", ([[1.0, 2.0]],), TypeError, "scores must be an array"),
        ("softmax", (X, X), TypeError, "too many positional arguments"),
    ],
)
def test_arguments_the_spec_does_not_allow_are_refused_with_a_sentence(name, args, error, words):
    with pytest.raises(error, match="the reference") as caught:
        NUMPY[name](*args)
    assert words in str(caught.value)


def test_torch_oracles_refuse_numpy_arrays():
    with pytest.raises(TypeError, match="scores must be a tensor"):
        TORCH["softmax"](X)


def test_non_finite_arguments_give_non_finite_answers_quietly():
    probs = NUMPY["softmax"](np.array([[np.inf, 0.0], [np.nan, 1.0]]))
    assert not np.isfinite(probs).all()
