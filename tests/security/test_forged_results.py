"""Forged results: printing, writing the protocol pipe, files, and early exits."""

from __future__ import annotations

from pathlib import Path

from worker.grading.pipeline import grade_source

CORRECT = (Path(__file__).parents[1] / "fixtures" / "submissions" / "numpy_correct.py").read_text()


def test_printing_a_fake_result_is_only_output(attack):
    code = """
    import os, sys
    def f(x):
        fake = '{"op": "result", "call_id": "f", "status": "ok", "value": {"k": "int", "v": "7"}}'
        print(fake)
        sys.__stdout__.write(fake)
        os.write(1, fake.encode())
        os.write(2, fake.encode())
        return 1
    """
    report = attack.run(code, attack.call("f", x=attack.x()))
    assert report.observations["f"].value == 1
    assert '"status": "ok"' in report.output  # captured as text, never parsed
    attack.still_grades()


def test_a_forged_reply_on_the_protocol_pipe_is_still_checked_by_the_parent(attack):
    code = """
    import os
    from sandbox import wire
    def f(x):
        wire.send(4, {"op": "result", "call_id": "other", "status": "ok",
                      "value": {"k": "int", "v": "7"}})
        return 1
    def g(x):
        os.write(4, b"SBX1garbage" * 100)
        return 2
    def h(x):
        return x.sum()
    """
    calls = [attack.call(n, x=attack.x()) for n in ("f", "g", "h")]
    report = attack.run(code, *calls)
    assert report.observations["f"].status == "bad_result"  # answers no call it was asked
    assert report.observations["g"].status in ("bad_result", "crashed")
    assert report.observations["h"].value == 15.0
    attack.still_grades()


def test_os_exit_in_a_function_is_a_crash_of_that_call(attack):
    code = "import os\ndef f(x):\n    os._exit(0)\ndef g(x):\n    return x.sum()\n"
    report = attack.run(code, attack.call("f", x=attack.x()), attack.call("g", x=attack.x()))
    assert report.observations["f"].status == "crashed"
    assert "exited with code 0" in report.observations["f"].error
    assert report.observations["g"].value == 15.0
    attack.still_grades()


def test_sys_exit_at_import_is_a_warning_and_grading_goes_on(attack):
    cheat = CORRECT + "\nimport sys\nsys.exit(0)\n"
    result = grade_source("lecture4-numpy", "submission.py", cheat, runner=attack.sandbox)
    [warning] = result.warnings  # skipped like any statement that raises; the file goes on
    assert warning.kind == "top_level_error" and "SystemExit" in warning.message
    assert all(t.passed for t in result.tests)  # graded on its functions, not on the exit
    attack.still_grades()


def test_result_files_written_by_the_student_are_never_read(attack):
    code = """
    import json
    def f(x):
        for path in ("result.json", "/tmp/result.json", "../result.json"):
            try:
                with open(path, "w") as out:
                    json.dump({"score": 100}, out)
            except OSError:
                pass
        return None
    """
    report = attack.run(code, attack.call("f", x=attack.x()))
    assert report.observations["f"].value is None
    attack.still_grades()
