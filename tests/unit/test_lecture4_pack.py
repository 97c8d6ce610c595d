"""The lecture4 packs: registry, contract, and every check against the reference and known bugs.

Observations are built here from the reference kernels' own outputs and from buggy
variants of them (written below, run in this trusted test process), so the checks are
tested without a sandbox; tests/e2e grades real student files through the pipeline.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import reference.packs as registry
from reference import kernels_numpy as ref
from reference import kernels_torch as ref_torch
from reference.pack import Case, Observation, TensorArg, TensorValue, Verdict
from reference.packs import UnknownAssignmentError, get_pack, list_packs

PACK_IDS = ("lecture4-numpy", "lecture4-torch")
POINTS = {
    "softmax": 10,
    "quality": 10,
    "cross_entropy": 20,
    "cross_entropy_grad": 25,
    "sgd_step": 10,
    "lr_schedule": 5,
    "train_sgd": 20,
}


# --- helpers: observations from NumPy values, as the sandbox would report them -----------


def observed(value: Any, case: Case, runtime: str, device: str = "cpu") -> Any:
    """Wrap NumPy results as the sandbox reports them: TensorValues in the torch pack."""
    if runtime == "numpy" or case.function == "lr_schedule":
        return value
    dtype = next(
        v.array.dtype.name
        for v in case.build().values()
        if isinstance(v, TensorArg) and v.array.dtype.kind == "f"
    )

    def wrap(v: Any) -> Any:
        if isinstance(v, np.ndarray | float):
            return TensorValue(np.asarray(v, dtype=dtype), dtype, device)
        return v  # a list of losses stays a list of floats

    return tuple(wrap(v) for v in value) if isinstance(value, tuple) else wrap(value)


def run(case: Case, fn: Callable, runtime: str, device: str = "cpu", grad=None):
    """Call ``fn`` (NumPy) on the case's inputs and check what it returned."""
    inputs = case.build()
    plain = {k: v.array.copy() if isinstance(v, TensorArg) else v for k, v in inputs.items()}
    with np.errstate(all="ignore"):  # buggy variants overflow on purpose
        value = fn(**plain)
    return case.check(inputs, Observation("ok", observed(value, case, runtime, device), grad=grad))


def as_tensor_value(x: Any) -> Any:
    """Turn torch results into what the sandbox reports."""
    if isinstance(x, torch.Tensor):
        dtype = str(x.dtype).removeprefix("torch.")
        return TensorValue(x.detach().cpu().numpy(), dtype, str(x.device), x.requires_grad)
    if isinstance(x, tuple | list):
        return type(x)(as_tensor_value(v) for v in x)
    return x


def digits_in(message: str) -> list[str]:
    """Digits in a hidden message, outside dtype names and the spec's own wording."""
    allowed = r"float\d+|int\d+|lr0|0-based|\[0, K\)|returned 0\.0"
    return re.findall(r"\d", re.sub(allowed, "", message))


# --- registry and contract ----------------------------------------------------------------


def test_registry_lists_both_lecture4_packs_sorted_by_id() -> None:
    ids = [pack.id for pack in list_packs()]
    assert ids == sorted(ids) and set(PACK_IDS) <= set(ids)


def test_unknown_assignment_raises_with_the_known_ids() -> None:
    with pytest.raises(UnknownAssignmentError, match="lecture4-numpy"):
        get_pack("lecture5")


def test_adding_a_pack_is_adding_a_module(tmp_path, monkeypatch) -> None:
    (tmp_path / "demo_pack.py").write_text(
        textwrap.dedent(
            """
            from reference.pack import Pack
            PACK = Pack(id="demo", title="Demo", runtime="numpy", devices=("cpu",),
                        functions=(), cases=lambda device: [], tolerances={})
            """
        )
    )
    monkeypatch.setattr(registry, "__path__", [*registry.__path__, str(tmp_path)])
    monkeypatch.delitem(__import__("sys").modules, "reference.packs.demo_pack", raising=False)
    registry._packs_by_id.cache_clear()
    try:
        assert get_pack("demo").title == "Demo"
        assert {p.id for p in list_packs()} >= {"demo", *PACK_IDS}
    finally:
        registry._packs_by_id.cache_clear()


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_points_follow_the_spec_table_and_sum_to_100(pack_id: str) -> None:
    pack = get_pack(pack_id)
    assert {f.name: f.points for f in pack.functions} == POINTS
    assert pack.max_score == 100


def test_runtimes_and_devices() -> None:
    numpy_pack, torch_pack = (get_pack(i) for i in PACK_IDS)
    assert (numpy_pack.runtime, numpy_pack.devices) == ("numpy", ("cpu",))
    assert (torch_pack.runtime, torch_pack.devices) == ("torch", ("cpu", "cuda"))


def test_forbidden_lists_follow_the_spec() -> None:
    numpy_forbidden = get_pack("lecture4-numpy").forbidden
    assert numpy_forbidden.modules == ("torch", "tensorflow", "jax", "sklearn")
    assert numpy_forbidden.calls == ("scipy.special.softmax", "scipy.special.logsumexp")
    torch_forbidden = get_pack("lecture4-torch").forbidden
    assert "torch.nn.functional.cross_entropy" in torch_forbidden.calls
    assert "torch.nn.CrossEntropyLoss" in torch_forbidden.calls
    assert len(torch_forbidden.calls) == 13
    assert torch_forbidden.modules == ("torch.autograd", "torch.optim")
    assert torch_forbidden.methods == ("softmax", "log_softmax", "backward")


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_every_function_has_visible_and_hidden_cases_with_unique_names(pack_id: str) -> None:
    pack = get_pack(pack_id)
    cases = pack.cases("cpu")
    assert len({c.name for c in cases}) == len(cases)
    for spec in pack.functions:
        kinds = {c.visibility for c in cases if c.function == spec.name}
        assert kinds == {"visible", "hidden"}, spec.name


def test_case_inputs_are_deterministic() -> None:
    first = [c.build() for c in get_pack("lecture4-numpy").cases("cpu")]
    again = [c.build() for c in get_pack("lecture4-numpy").cases("cpu")]
    for a, b in zip(first, again, strict=True):
        assert a.keys() == b.keys()
        assert all(np.array_equal(a[k], b[k]) for k in a)


def test_torch_inputs_are_tensor_args_and_grad_cases_ask_for_scores_grad() -> None:
    cases = get_pack("lecture4-torch").cases("cuda")
    grad_cases = [c for c in cases if c.probe.kind == "grad"]
    assert grad_cases and all(c.function == "cross_entropy" for c in grad_cases)
    for case in grad_cases:
        inputs = case.build()
        assert case.probe.wrt == "scores" and inputs["scores"].requires_grad
        assert inputs["labels"].array.dtype == np.int64


# --- the reference's own outputs pass every case ------------------------------------------


def test_every_numpy_case_passes_with_the_reference_output() -> None:
    for case in get_pack("lecture4-numpy").cases("cpu"):
        verdict = run(case, getattr(ref, case.function), "numpy")
        assert verdict.passed, (case.name, verdict.message)


def torch_observation(case: Case) -> Observation:
    """Run the torch reference on the case's inputs, autograd included for grad probes."""
    args = {
        k: torch.as_tensor(v.array).requires_grad_(v.requires_grad)
        if isinstance(v, TensorArg)
        else v
        for k, v in case.build().items()
    }
    value = getattr(ref_torch, case.function)(**args)
    grad = None
    if case.probe.kind == "grad":
        value.backward()
        grad = as_tensor_value(args["scores"].grad)
    return Observation("ok", as_tensor_value(value), grad=grad)


def test_every_torch_case_passes_with_the_reference_output() -> None:
    for case in get_pack("lecture4-torch").cases("cpu"):
        verdict = case.check(case.build(), torch_observation(case))
        assert verdict.passed, (case.name, verdict.message)


def test_torch_results_on_the_wrong_device_fail_on_cuda_and_pass_when_on_cuda() -> None:
    for case in get_pack("lecture4-torch").cases("cuda"):
        if case.function in ("lr_schedule", "train_sgd") or case.probe.kind == "grad":
            continue
        on_cpu = run(case, getattr(ref, case.function), "torch", device="cpu")
        assert not on_cpu.passed and on_cpu.diagnosis == "wrong_device", case.name
        assert "on cpu, but the inputs were on cuda: create new tensors" in on_cpu.message
        assert run(case, getattr(ref, case.function), "torch", device="cuda:0").passed


def test_torch_result_of_another_dtype_fails() -> None:
    case = next(
        c for c in get_pack("lecture4-torch").cases("cpu") if c.name == "softmax: float32 scores"
    )
    probs = ref.softmax(case.build()["scores"].array.astype(np.float64))
    verdict = case.check(case.build(), Observation("ok", TensorValue(probs, "float64", "cpu")))
    assert not verdict.passed and "has dtype float64, expected float32" in verdict.message


def test_torch_quality_accepts_a_float_but_cross_entropy_needs_a_tensor() -> None:
    cases = {c.name: c for c in get_pack("lecture4-torch").cases("cpu")}
    quality, loss = cases["quality: random probs"], cases["cross_entropy: random scores"]
    plain_q = {k: v.array for k, v in quality.build().items()}
    assert quality.check(quality.build(), Observation("ok", ref.quality(**plain_q))).passed
    plain_l = {k: v.array for k, v in loss.build().items()}
    verdict = loss.check(loss.build(), Observation("ok", ref.cross_entropy(**plain_l)))
    assert not verdict.passed and "expected a 0-dim tensor" in verdict.message


def test_cross_entropy_without_autograd_gradient_is_diagnosed() -> None:
    case = next(c for c in get_pack("lecture4-torch").cases("cpu") if c.probe.kind == "grad")
    observation = torch_observation(case)
    verdict = case.check(case.build(), Observation("ok", observation.value, grad=None))
    assert not verdict.passed and verdict.diagnosis == "not_differentiable"


def test_cross_entropy_with_a_wrong_autograd_gradient_fails() -> None:
    case = next(c for c in get_pack("lecture4-torch").cases("cpu") if c.probe.kind == "grad")
    observation = torch_observation(case)
    grad = observation.grad
    doubled = TensorValue(grad.array * 2, grad.dtype, grad.device)
    verdict = case.check(case.build(), Observation("ok", observation.value, grad=doubled))
    assert not verdict.passed and "d loss / d scores" in verdict.message


# --- known bugs are failed and named ------------------------------------------------------


def _rows(n: int) -> np.ndarray:
    return np.arange(n)


def naive_softmax(scores):
    exps = np.exp(scores)
    return exps / exps.sum(axis=1, keepdims=True)


def naive_grad(W, b, X, labels):
    probs = naive_softmax(X @ W.T + b)
    probs[_rows(len(labels)), labels] -= 1
    return (probs.T @ X) / len(labels), probs.sum(axis=0) / len(labels)


def with_labels_minus_one(fn):
    """What ``probs[i, labels[i] - 1]`` computes: NumPy wraps -1 to the last class."""
    return lambda **kw: fn(**{**kw, "labels": kw["labels"] - 1})


def scaled_grad(scale):
    return lambda **kw: tuple(g * scale(kw) for g in ref.cross_entropy_grad(**kw))


BUGS = {
    "softmax without max-subtraction": ("softmax", naive_softmax, "no_max_subtraction"),
    "softmax over columns": ("softmax", lambda scores: ref.softmax(scores.T).T, "wrong_axis"),
    "quality as a product": (
        "quality",
        lambda probs, labels: float(
            np.prod(probs[_rows(len(labels)), labels]) ** (1 / len(labels))
        ),
        "product_underflow",
    ),
    "quality with labels - 1": ("quality", with_labels_minus_one(ref.quality), "labels_off_by_one"),
    "quality as an arithmetic mean": (
        "quality",
        lambda probs, labels: float(probs[_rows(len(labels)), labels].mean()),
        "arithmetic_mean",
    ),
    "cross_entropy without max-subtraction": (
        "cross_entropy",
        lambda scores, labels: float(
            np.mean(np.log(np.exp(scores).sum(axis=1)) - scores[_rows(len(labels)), labels])
        ),
        "no_max_subtraction",
    ),
    "cross_entropy as a sum": (
        "cross_entropy",
        lambda scores, labels: ref.cross_entropy(scores, labels) * len(labels),
        "sum_instead_of_mean",
    ),
    "cross_entropy over N * K": (
        "cross_entropy",
        lambda scores, labels: ref.cross_entropy(scores, labels) / scores.shape[1],
        "mean_over_nk",
    ),
    "cross_entropy with labels - 1": (
        "cross_entropy",
        with_labels_minus_one(ref.cross_entropy),
        "labels_off_by_one",
    ),
    "gradient transposed": (
        "cross_entropy_grad",
        lambda **kw: (ref.cross_entropy_grad(**kw)[0].T, ref.cross_entropy_grad(**kw)[1]),
        "transposed_gradient",
    ),
    "gradient without 1/N": (
        "cross_entropy_grad",
        scaled_grad(lambda kw: len(kw["labels"])),
        "missing_1_over_n",
    ),
    "gradient over N * K": (
        "cross_entropy_grad",
        scaled_grad(lambda kw: 1 / kw["W"].shape[0]),
        "mean_over_nk",
    ),
    "gradient with flipped sign": (
        "cross_entropy_grad",
        scaled_grad(lambda kw: -1),
        "flipped_sign",
    ),
    "gradient with zero db": (
        "cross_entropy_grad",
        lambda **kw: (ref.cross_entropy_grad(**kw)[0], np.zeros_like(kw["b"])),
        "zero_db",
    ),
    "gradient with labels - 1": (
        "cross_entropy_grad",
        with_labels_minus_one(ref.cross_entropy_grad),
        "labels_off_by_one",
    ),
    "gradient without max-subtraction": ("cross_entropy_grad", naive_grad, "no_max_subtraction"),
    "sgd_step up the gradient": (
        "sgd_step",
        lambda W, b, dW, db, lr: (W + lr * dW, b + lr * db),
        "flipped_sign",
    ),
    "schedule counting from 1": (
        "lr_schedule",
        lambda t, lr0=2.5, decay=0.5, every=10: lr0 * decay ** ((t + 1) // every),
        "schedule_off_by_one",
    ),
    "schedule one decay too many": (
        "lr_schedule",
        lambda t, lr0=2.5, decay=0.5, every=10: lr0 * decay ** (t // every + 1),
        "schedule_off_by_one",
    ),
    "schedule without integer division": (
        "lr_schedule",
        lambda t, lr0=2.5, decay=0.5, every=10: lr0 * decay ** (t / every),
        "schedule_not_stepped",
    ),
}


@pytest.mark.parametrize("pack_id", PACK_IDS)
@pytest.mark.parametrize("bug", sorted(BUGS))
def test_each_known_bug_fails_with_its_diagnosis(pack_id: str, bug: str) -> None:
    function, fn, diagnosis = BUGS[bug]
    pack = get_pack(pack_id)
    cases = [c for c in pack.cases("cpu") if c.function == function and c.probe.kind == "call"]
    verdicts = [(c, run(c, fn, pack.runtime)) for c in cases]
    failed = [(c, v) for c, v in verdicts if not v.passed]
    assert failed, f"{bug}: no case of {function} failed"
    for case, verdict in failed:
        assert verdict.diagnosis == diagnosis, (case.name, verdict.message)
        if case.visibility == "hidden":
            assert not digits_in(verdict.message), (case.name, verdict.message)


def test_spec_example_messages_are_produced() -> None:
    cases = {c.name: c for c in get_pack("lecture4-numpy").cases("cpu")}
    _, naive_ce, _ = BUGS["cross_entropy without max-subtraction"]
    message = run(cases["cross_entropy: scores of magnitude 1000"], naive_ce, "numpy").message
    assert message.startswith("cross_entropy returned inf for scores of magnitude 1000: ")
    assert "subtract the row maximum before exp (the log-sum-exp trick)" in message
    _, product, _ = BUGS["quality as a product"]
    assert run(cases["quality: 50,000 samples"], product, "numpy").message == (
        "quality returned 0.0 for 50,000 samples: the product underflows; average the logs instead"
    )
    _, transposed, _ = BUGS["gradient transposed"]
    message = run(cases["cross_entropy_grad: larger problem"], transposed, "numpy").message
    assert message.startswith("cross_entropy_grad: dW has shape (D, K), expected (K, D)")


def log_of_stable_softmax(scores, labels):
    """-log(softmax(scores)[i, labels[i]]) with a stable softmax: inf once a probability is 0."""
    return float(-np.mean(np.log(ref.softmax(scores)[_rows(len(labels)), labels])))


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_log_of_an_underflowed_probability_gets_log_softmax_advice(pack_id: str) -> None:
    pack = get_pack(pack_id)
    cases = {c.name: c for c in pack.cases("cpu")}
    verdict = run(
        cases["cross_entropy: scores of magnitude 700"], log_of_stable_softmax, pack.runtime
    )
    assert verdict.diagnosis == "log_of_underflow"
    assert verdict.message == (
        "cross_entropy returned inf for scores of magnitude 700: a correct-class probability "
        "underflows to zero and its log is -inf; do not take the log of softmax, compute "
        "log-softmax directly, scores - max - log(sum(exp(scores - max)))"
    )
    assert "before exp" not in verdict.message  # their function has no exp of its own


def test_the_exp_free_case_passes_plain_log_sum_exp_and_fails_log_of_softmax() -> None:
    case = {c.name: c for c in get_pack("lecture4-numpy").cases("cpu")}[
        "cross_entropy: scores of magnitude 700"
    ]
    _, naive_ce, _ = BUGS["cross_entropy without max-subtraction"]
    assert run(case, naive_ce, "numpy").passed  # exp(700) is finite: only the log can fail
    assert not run(case, log_of_stable_softmax, "numpy").passed


def test_an_inf_where_exp_overflows_names_both_causes_and_the_one_fix() -> None:
    case = {c.name: c for c in get_pack("lecture4-numpy").cases("cpu")}[
        "cross_entropy: scores of magnitude 1000"
    ]
    _, naive_ce, _ = BUGS["cross_entropy without max-subtraction"]
    for student in (naive_ce, log_of_stable_softmax):
        verdict = run(case, student, "numpy")
        assert verdict.diagnosis == "no_max_subtraction"
        assert verdict.message == (
            "cross_entropy returned inf for scores of magnitude 1000: exp(scores) overflows, or "
            "a probability underflows to zero before its log; subtract the row maximum before exp "
            "(the log-sum-exp trick) and compute log-softmax directly, "
            "scores - max - log(sum(exp(scores - max)))"
        )


def test_a_single_array_where_a_tuple_is_due_is_reported() -> None:
    case = next(c for c in get_pack("lecture4-numpy").cases("cpu") if c.function == "sgd_step")
    verdict = case.check(case.build(), Observation("ok", np.zeros(3)))
    assert not verdict.passed
    assert verdict.message == "sgd_step returned an ndarray, expected a tuple (W_new, b_new)"


def test_none_is_reported_as_missing_result() -> None:
    case = get_pack("lecture4-numpy").cases("cpu")[0]
    verdict = case.check(case.build(), Observation("ok", None))
    assert verdict.message == "softmax: probs is None, expected a NumPy array of shape (N, K)"


# --- train_sgd by behaviour ---------------------------------------------------------------


def train_by_epochs(X, labels, num_classes, lr=0.1, batch_size=200, num_iters=200, seed=0):
    """A valid alternative: shuffle once per epoch and walk through it in batches."""
    n, d = X.shape
    W, b = np.zeros((num_classes, d)), np.zeros(num_classes)
    rng, order, losses = np.random.default_rng(seed + 7), np.array([], dtype=int), []
    for _ in range(num_iters):
        if len(order) < batch_size:
            order = rng.permutation(n)
        idx, order = order[:batch_size], order[batch_size:]
        losses.append(ref.cross_entropy(X[idx] @ W.T + b, labels[idx]))
        W, b = ref.sgd_step(W, b, *ref.cross_entropy_grad(W, b, X[idx], labels[idx]), lr)
    return W, b, np.array(losses)


def train_cases(kind: str) -> list[Case]:
    cases = get_pack("lecture4-numpy").cases("cpu")
    return [
        c for c in cases if c.function == "train_sgd" and ("mini" in c.name) == (kind == "mini")
    ]


def test_another_way_of_drawing_batches_passes_every_train_case() -> None:
    for case in train_cases("mini") + train_cases("full"):
        assert run(case, train_by_epochs, "numpy").passed, case.name


def test_training_uphill_fails_because_the_losses_do_not_fall() -> None:
    def uphill(**kw):
        return train_by_epochs(**{**kw, "lr": -kw["lr"]})

    for case in train_cases("mini"):
        verdict = run(case, uphill, "numpy")
        assert verdict.diagnosis == "losses_not_falling", verdict.message


def test_training_far_too_slowly_fails_on_the_final_loss() -> None:
    def slow(**kw):
        return train_by_epochs(**{**kw, "lr": kw["lr"] / 50})

    verdict = run(train_cases("mini")[0], slow, "numpy")
    assert not verdict.passed and "final loss on all the data is too high" in verdict.message


def test_losses_of_the_wrong_length_fail() -> None:
    def short(**kw):
        W, b, losses = ref.train_sgd(**kw)
        return W, b, losses[:-1]

    case = train_cases("full")[0]
    assert (
        run(case, short, "numpy").message
        == "train_sgd: losses has 14 entries, expected num_iters = 15"
    )


def test_full_batch_that_is_not_gradient_descent_fails() -> None:
    def half_steps(**kw):
        return ref.train_sgd(**{**kw, "lr": kw["lr"] / 2})

    verdict = run(train_cases("full")[0], half_steps, "numpy")
    assert not verdict.passed and "full-batch gradient descent" in verdict.message


def test_torch_train_with_float64_weights_for_float32_data_fails_the_dtype() -> None:
    case = next(
        c
        for c in get_pack("lecture4-torch").cases("cpu")
        if c.name == "train_sgd: float32, mini-batches"
    )
    plain = {k: v.array if isinstance(v, TensorArg) else v for k, v in case.build().items()}
    W, b, losses = ref.train_sgd(**{**plain, "X": plain["X"].astype(np.float64)})
    value = (TensorValue(W, "float64", "cpu"), TensorValue(b, "float64", "cpu"), losses)
    verdict = case.check(case.build(), Observation("ok", value))
    assert not verdict.passed and "dtype float64, expected float32" in verdict.message


def grad_verdict(student) -> Verdict:
    """The verdict on the visible 'random problem' case of cross_entropy_grad."""
    case = next(
        c for c in get_pack("lecture4-numpy").cases("cpu") if c.name.endswith("random problem")
    )
    inputs = case.build()
    return case.check(inputs, Observation("ok", value=student(**inputs)))


def test_every_independent_bug_of_the_gradient_is_named_with_its_output() -> None:
    def two_bugs(W, b, X, labels):  # transposed dW, and no 1/N in dW nor db
        dW, db = ref.cross_entropy_grad(W, b, X, labels)
        return dW.T * len(labels), db * len(labels)

    found = grad_verdict(two_bugs)
    assert found.diagnosis == "transposed_gradient"
    assert found.message.count("cross_entropy_grad") == 1
    assert "transpose it; dW is N times too large: divide by N; db is N times too large" in (
        found.message
    )


def test_a_bug_in_db_alone_names_db() -> None:
    def db_without_1_over_n(W, b, X, labels):
        dW, db = ref.cross_entropy_grad(W, b, X, labels)
        return dW, db * len(labels)

    found = grad_verdict(db_without_1_over_n)
    assert found.diagnosis == "missing_1_over_n"
    assert found.message.startswith("cross_entropy_grad: db is N times too large: divide by N; ")
    assert "dW" not in found.message


def test_a_gradient_without_the_one_hot_y_gets_its_own_name() -> None:
    def no_one_hot(W, b, X, labels):
        probs = ref.softmax(X @ W.T + b)
        return probs.T @ X / len(labels), probs.sum(axis=0) / len(labels)

    found = grad_verdict(no_one_hot)
    assert found.diagnosis == "no_one_hot"
    assert "dW forgot to subtract the one-hot Y" in found.message
    assert "db forgot to subtract the one-hot Y" in found.message


def test_a_visible_diagnosis_says_the_function_once_without_nested_parentheses() -> None:
    case = next(
        c
        for c in get_pack("lecture4-numpy").cases("cpu")
        if c.name == "lr_schedule: t = 9, the last iteration at lr0"
    )
    inputs = case.build()
    found = case.check(inputs, Observation("ok", value=2.5 * 0.5 ** ((inputs["t"] + 1) // 10)))
    assert found.diagnosis == "schedule_off_by_one"
    assert found.message.count("lr_schedule") == 1
    assert "((" not in found.message and "))" not in found.message
