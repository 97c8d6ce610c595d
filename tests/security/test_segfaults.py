"""Segfaults and aborts crash only the call (or the chunk) that caused them."""

from __future__ import annotations


def test_a_segfault_in_a_call_is_a_crash_and_later_calls_run(attack):
    code = """
    import ctypes, os
    def segv(x):
        ctypes.string_at(0)
    def abort(x):
        os.abort()
    def good(x):
        return x.sum()
    """
    calls = [attack.call(n, x=attack.x()) for n in ("segv", "abort", "good")]
    report = attack.run(code, *calls)
    assert report.observations["segv"].status == "crashed"
    assert "SIGSEGV" in report.observations["segv"].error
    assert report.observations["abort"].status == "crashed"
    assert report.observations["good"].value == 15.0
    attack.still_grades()


def test_a_segfault_at_import_keeps_the_definitions_before_it(attack):
    report = attack.run(
        "",
        attack.call("good", x=attack.x()),
        chunks=("def good(x):\n    return x.sum()\n", "import ctypes\nctypes.string_at(0)\n"),
    )
    assert report.imported.status == "crashed"
    assert report.imported.failed_chunk == 1
    assert report.observations["good"].value == 15.0
    attack.still_grades()
