"""A diagnosis as a class-wide sentence, in lecture 4's notation (scores, probs, W, b, P, Y,
N, K, lr, Q_mean), for the stats API and the staff dashboard.

A result's own message is about one case (it may quote the case's numbers) and lives in
the grader (reference/packs/*/diagnose.py, worker/grading/verdicts.py), which the web side
may not import; this table names each bug class once, without numbers. A diagnosis it does
not know (a new pack's) reads as its name in words.
"""

from __future__ import annotations

SENTENCES = {
    # reference/packs/lecture4/diagnose.py
    "no_max_subtraction": "no max-subtraction before exp: exp(scores) overflows to inf/nan "
    "(subtract the row maximum first, the log-sum-exp trick)",
    "log_of_underflow": "log of an underflowed probability: -log(softmax(scores)) is inf "
    "(compute log-softmax directly)",
    "product_underflow": "Q_mean as a product of N probabilities, which underflows to 0.0 "
    "(average the logs)",
    "sum_instead_of_mean": "sum instead of mean: the loss is N times too large (divide by N)",
    "mean_over_nk": "divided by N·K instead of N: the value is K times too small",
    "missing_1_over_n": "missing 1/N: the gradient is N times too large (dW = (P - Y)^T X / N)",
    "transposed_gradient": "transposed gradient: dW has shape (D, K), not the (K, D) of W",
    "flipped_sign": "flipped sign: P - Y the other way round, or W + lr · dW instead of "
    "W - lr · dW",
    "zero_db": "db left at zero (db = sum_i (p_i - y_i) / N)",
    "no_one_hot": "one-hot Y never subtracted: dW = P^T X / N instead of (P - Y)^T X / N",
    "labels_off_by_one": "labels off by one: labels are 0-based indices in [0, K)",
    "wrong_axis": "softmax over the wrong axis: columns normalised instead of rows",
    "arithmetic_mean": "arithmetic instead of geometric mean: Q_mean = exp(mean(log p))",
    "schedule_off_by_one": "learning-rate schedule one step off: lr0 · decay ** (t // every)",
    "schedule_not_stepped": "learning rate not stepped: t / every without rounding down",
    "not_differentiable": "not differentiable: backward() gives no gradient for scores",
    "losses_not_falling": "training does not lower the loss",
    "wrong_device": "a result on another device than its inputs (device=X.device)",
    # worker/grading: what the pipeline itself recognises
    "missing": "function missing or not defined at the top level",
    "exception": "the function raised an exception",
    "forbidden_call": "a call the assignment forbids (e.g. a library's ready-made version)",
    "signature_mismatch": "the function's parameters differ from the starter's signature",
    "timeout": "too slow: stopped at the time limit (an endless loop?)",
    "memory_limit": "ran out of memory",
    "crashed": "crashed the Python process running it",
    "bad_result": "returned something the grader cannot read",
    "not_gradable": "not run: the file could not be run",
}


def sentence(diagnosis: str) -> str:
    """Return the class-wide sentence of ``diagnosis`` (its name in words if unknown)."""
    return SENTENCES.get(diagnosis, diagnosis.replace("_", " "))
