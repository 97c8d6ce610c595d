"""Endless loops, at import and inside one function, cost only what they stop."""

from __future__ import annotations

from worker.sandbox.host.api import Limits

GOOD = "def good(x):\n    return x.sum()\n"


def test_an_endless_loop_at_import_times_out_and_keeps_earlier_definitions(attack):
    report = attack.run(
        "",
        attack.call("good", x=attack.x()),
        limits=Limits(import_s=1.0),
        chunks=(GOOD, "while True:\n    pass\n", "def later(x):\n    return x\n"),
    )
    assert report.imported.status == "timeout"
    assert report.imported.failed_chunk == 1
    assert report.imported.defined == ("good",)
    assert report.observations["good"].value == 15.0
    attack.still_grades()


def test_an_endless_loop_in_one_function_times_out_that_call_only(attack):
    code = GOOD + "def spin(x):\n    while True:\n        pass\n"
    report = attack.run(
        code, attack.call("spin", limit=0.5, x=attack.x()), attack.call("good", x=attack.x())
    )
    assert report.observations["spin"].status == "timeout"
    assert report.observations["good"].value == 15.0
    attack.still_grades()


def test_a_loop_that_swallows_every_exception_is_still_stopped(attack):
    code = """
    import signal
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGXCPU, signal.SIG_IGN)
    def spin(x):
        while True:
            try:
                while True:
                    pass
            except BaseException:
                pass
    """
    report = attack.run(code, attack.call("spin", limit=0.5, x=attack.x()))
    assert report.observations["spin"].status == "timeout"
    attack.still_grades()


def test_cpu_time_over_the_submission_limit_is_a_timeout(attack):
    code = "def spin(x):\n    while True:\n        pass\n"
    report = attack.run(code, attack.call("spin", limit=30, x=attack.x()), limits=Limits(cpu_s=1))
    observation = report.observations["spin"]
    assert observation.status == "timeout"
    assert "CPU time" in observation.error
    attack.still_grades()
