"""Reference helpers lent to student code: answers only, never the reference itself."""

from __future__ import annotations

import textwrap

import numpy as np

from worker.sandbox.host.api import CallSpec, Limits, SandboxReport, SandboxRequest, SourceChunk


class Doubler:
    """A trusted oracle that counts its answers."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, x):
        self.calls += 1
        return 2 * x


def lent(function: str, limit: float = 5.0) -> CallSpec:
    """A call of ``function`` on x = [1, 2] with ``helper`` substituted."""
    kwargs = {"x": np.array([1.0, 2.0])}
    return CallSpec(function, function, kwargs, time_limit_s=limit, substitutes=("helper",))


def run(attack, code: str, *calls: CallSpec, oracle, limits: Limits | None = None) -> SandboxReport:
    """Run ``code`` in the hardened sandbox with ``oracle`` lent as ``helper``."""
    chunk = SourceChunk(textwrap.dedent(code), "submission.py")
    request = SandboxRequest(
        "numpy", "cpu", (chunk,), calls, limits=limits or Limits(), oracles={"helper": oracle}
    )
    return attack.sandbox.run(request)


def test_a_lent_helper_answers_in_the_hardened_sandbox_and_the_reference_stays_out(attack):
    oracle = Doubler()
    code = """
    import importlib
    def f(x):
        found = []
        for name in ("reference", "reference.kernels_numpy", "worker"):
            try:
                importlib.import_module(name)
                found.append(name)
            except ImportError:
                pass
        cells = [type(c.cell_contents).__name__ for c in helper.__closure__]
        return helper(x), found, sorted(cells)
    """
    report = run(attack, code, lent("f"), oracle=oracle)
    value, found, cells = report.observations["f"].value
    assert np.array_equal(value, [2.0, 4.0]) and oracle.calls == 1
    assert found == [] and cells == ["Lending", "str"]  # the proxy holds a pipe, not code
    attack.still_grades()


def test_a_flood_of_oracle_calls_is_capped_and_ends_at_the_time_limit(attack):
    oracle = Doubler()
    code = """
    def f(x):
        while True:
            try:
                helper(x)
            except RuntimeError:
                pass
    """
    limits = Limits(oracle_calls=50)
    report = run(attack, code, lent("f", limit=2.0), oracle=oracle, limits=limits)
    assert report.observations["f"].status == "timeout"
    assert oracle.calls == 50
    attack.still_grades()


def test_forged_oracle_requests_on_the_pipe_get_no_answer(attack):
    oracle = Doubler()
    code = """
    from sandbox import wire
    def f(x):
        for name in ("helper", "other"):
            wire.send(4, {"op": "oracle", "call_id": "elsewhere", "name": name,
                          "args": [], "kwargs": {}})
        return 1
    """
    report = run(attack, code, lent("f"), oracle=oracle)
    assert report.observations["f"].status in ("bad_result", "crashed")
    assert oracle.calls == 0
    attack.still_grades()
