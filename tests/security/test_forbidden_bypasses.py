"""Forbidden calls under other names, and a guard switched off (issue 11, class 8).

Private and C-level aliases of a forbidden operation count as that operation, both in the
static analysis and in the guard inside the child. What neither can follow (the guard
found through ``gc`` and switched off, a module imported under a decoded name) is flagged
for staff in the result's ``flags``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from common.contracts import GradingStatus
from worker.grading.pipeline import grade_source

FIXTURES = Path(__file__).parents[1] / "fixtures" / "submissions"
TORCH_CORRECT = (FIXTURES / "torch_correct.py").read_text()

PRIVATE_ALIASES = TORCH_CORRECT + textwrap.dedent(
    """
    def softmax(scores):
        return torch._softmax(scores, 1, False)

    def cross_entropy(scores, labels):
        return torch._C._nn.cross_entropy_loss(scores, labels)
    """
)

# Names computed at run time: only the guard in the child can see these.
COMPUTED_ALIASES = TORCH_CORRECT + textwrap.dedent(
    """
    def softmax(scores):
        return getattr(torch, "_" + "soft" + "max")(scores, 1, False)

    def cross_entropy(scores, labels):
        nn = getattr(torch._C, "_" + "nn")
        return getattr(nn, "cross_entropy" + "_loss")(scores, labels)
    """
)

# The guard found through gc and switched off, then F.softmax under a decoded name.
GUARD_OFF = TORCH_CORRECT + textwrap.dedent(
    """
    def softmax(scores):
        import base64, gc, importlib
        for thing in gc.get_objects():
            if type(thing).__name__ == "Guard":
                thing.active = False
        name = base64.b64decode(b"dG9yY2gubm4uZnVuY3Rpb25hbA==").decode()
        return importlib.import_module(name).softmax(scores, dim=1)
    """
)


def failed(result, function: str) -> list:
    return [t for t in result.tests if t.function == function and not t.passed]


@pytest.mark.parametrize("source", [PRIVATE_ALIASES, COMPUTED_ALIASES], ids=["static", "runtime"])
def test_private_and_c_level_aliases_count_as_the_forbidden_call(attack, source):
    result = grade_source("lecture4-torch", "submission.py", source, runner=attack.sandbox)
    assert result.status == GradingStatus.GRADED
    softmax, cross_entropy = failed(result, "softmax"), failed(result, "cross_entropy")
    assert softmax and all(t.diagnosis == "forbidden_call" for t in softmax)
    assert all(t.message.startswith("softmax uses torch.softmax, which") for t in softmax)
    assert cross_entropy and all(
        t.message.startswith("cross_entropy uses torch.nn.functional.cross_entropy")
        for t in cross_entropy
    )
    attack.still_grades("torch")


def test_switching_the_guard_off_is_flagged_for_staff_and_undone_for_the_next_file(attack):
    result = grade_source("lecture4-torch", "submission.py", GUARD_OFF, runner=attack.sandbox)
    assert result.status == GradingStatus.GRADED
    found = {(f.kind, f.function) for f in result.flags}
    assert found == {("reflection", "softmax"), ("dynamic_import", "softmax")}
    assert any("imports gc" in f.message for f in result.flags)
    # The next submission gets a guard of its own: an honest forbidden call is caught again.
    honest = (FIXTURES / "torch_forbidden_call.py").read_text()
    after = grade_source("lecture4-torch", "submission.py", honest, runner=attack.sandbox)
    assert {t.diagnosis for t in failed(after, "cross_entropy")} == {"forbidden_call"}
    assert after.flags == []
    attack.still_grades("torch")


def test_a_correct_file_has_no_flags(attack):
    for fixture, pack in (
        ("numpy_correct.py", "lecture4-numpy"),
        ("torch_correct.py", "lecture4-torch"),
    ):
        source = (FIXTURES / fixture).read_text()
        assert grade_source(pack, "submission.py", source, runner=attack.sandbox).flags == []


@pytest.mark.slow
@pytest.mark.usefixtures("celery_worker")
def test_through_the_service_the_result_carries_the_flags(make_client, admin_auth):
    client = make_client()
    body = {"assignment": "lecture4-torch", "source": GUARD_OFF, "student_id": "s-flags"}
    url = client.post("/api/v1/submissions", headers=admin_auth, json=body).get_json()
    done = client.get(f"{url['links']['submission']}?wait=30", headers=admin_auth).get_json()
    assert done["status"] == "graded"
    kinds = {flag["kind"] for flag in done["result"]["flags"]}
    assert kinds == {"reflection", "dynamic_import"}
