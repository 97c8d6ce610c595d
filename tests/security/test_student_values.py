"""Student values never make the grader report `failed` (issue 11, class 5).

A value too large for a float, a helper called with one, a forged ZIP frame, text that
UTF-8 cannot encode: each is that case's failure with a sentence, and the run is `graded`.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from common.contracts import GradingResult, GradingStatus
from worker.grading.pipeline import grade_source

FIXTURES = Path(__file__).parents[1] / "fixtures" / "submissions"
CORRECT = (FIXTURES / "numpy_correct.py").read_text()

HUGE_RETURN = CORRECT + textwrap.dedent(
    """
    def lr_schedule(t, lr0=2.5, decay=0.5, every=10):
        return 10**399
    """
)

# sgd_step fails its own cases, so train_sgd is graded again with the reference sgd_step
# (an oracle in the parent), which the student then calls with lr = 10**399.
HUGE_HELPER_ARGUMENT = CORRECT + textwrap.dedent(
    """
    def sgd_step(W, b, dW, db, lr):
        return W, b

    def train_sgd(X, labels, num_classes, lr=0.1, batch_size=200, num_iters=200, seed=0):
        W = np.zeros((num_classes, X.shape[1]))
        b = np.zeros(num_classes)
        dW, db = cross_entropy_grad(W, b, X, labels)
        return sgd_step(W, b, dW, db, 10**399)
    """
)

# quality answers its call itself on the protocol pipe, with a ZIP archive as the frame
# (np.load returns an NpzFile for it); the harness's own answer comes second, out of step.
ZIP_FRAME = CORRECT + textwrap.dedent(
    """
    import io, sys
    from sandbox import wire

    def quality(probs, labels):
        frame = sys._getframe(1)
        while "header" not in frame.f_locals:
            frame = frame.f_back
        call_id = frame.f_locals["header"]["call_id"]
        buffer = io.BytesIO()
        np.savez(buffer, a=np.zeros(3))
        reply = {"op": "result", "call_id": call_id, "status": "ok",
                 "value": {"k": "ndarray", "frame": 0}}
        wire.send(4, reply, [buffer.getvalue()])
        return 0.5
    """
)

LONE_SURROGATES = CORRECT + textwrap.dedent(
    """
    print("at import \\ud800")

    def lr_schedule(t, lr0=2.5, decay=0.5, every=10):
        print("in a call \\udfff")
        raise ValueError("no \\udcff")
    """
)


def failed_functions(result: GradingResult) -> set[str]:
    return {t.function for t in result.tests if not t.passed}


def test_an_int_too_large_for_a_float_fails_only_its_cases(attack):
    result = grade_source("lecture4-numpy", "submission.py", HUGE_RETURN, runner=attack.sandbox)
    assert result.status == GradingStatus.GRADED and result.error is None
    assert failed_functions(result) == {"lr_schedule"}
    assert result.score == 95
    messages = {t.message.splitlines()[0] for t in result.tests if not t.passed}
    assert messages == {
        "lr_schedule: the learning rate is an int too large for a float, expected a number"
    }
    attack.still_grades()


def test_a_helper_called_with_an_int_too_large_is_refused_by_the_reference(attack):
    result = grade_source(
        "lecture4-numpy", "submission.py", HUGE_HELPER_ARGUMENT, runner=attack.sandbox
    )
    assert result.status == GradingStatus.GRADED
    assert failed_functions(result) == {"sgd_step", "train_sgd"}
    train = [t for t in result.tests if t.function == "train_sgd" and t.visibility == "visible"]
    assert all("the reference sgd_step cannot use these arguments" in t.message for t in train)
    attack.still_grades()


def test_a_forged_zip_frame_is_a_result_the_grader_cannot_read(attack):
    result = grade_source("lecture4-numpy", "submission.py", ZIP_FRAME, runner=attack.sandbox)
    assert result.status == GradingStatus.GRADED
    assert failed_functions(result) == {"quality"}
    quality = [t for t in result.tests if t.function == "quality"]
    assert {t.diagnosis for t in quality} == {"bad_result"}
    visible = [t.message for t in quality if t.visibility == "visible"]
    # refused before it is loaded: the frame's bytes are not one .npy array of the
    # declared shape (a ZIP would load as an NpzFile)
    assert visible and all("not a valid .npy array" in m for m in visible)
    attack.still_grades()


def test_text_that_utf8_cannot_encode_is_stored_with_a_replacement_character(attack):
    result = grade_source("lecture4-numpy", "submission.py", LONE_SURROGATES, runner=attack.sandbox)
    assert result.status == GradingStatus.GRADED
    stored = GradingResult.model_validate_json(result.model_dump_json())  # what the store keeps
    assert "at import \ufffd" in stored.output
    assert failed_functions(stored) == {"lr_schedule"}
    attack.still_grades()


@pytest.mark.slow
@pytest.mark.usefixtures("celery_worker")
def test_through_the_service_the_attack_is_graded_once_and_the_next_submission_in_full(
    make_client, admin_auth
):
    client = make_client()
    for source, student in ((HUGE_RETURN, "s-huge"), (ZIP_FRAME, "s-zip")):
        body = {"assignment": "lecture4-numpy", "source": source, "student_id": student}
        url = client.post("/api/v1/submissions", headers=admin_auth, json=body).get_json()
        done = client.get(f"{url['links']['submission']}?wait=30", headers=admin_auth).get_json()
        assert done["status"] == "graded", done
        assert done["attempts"] == 1  # never retried as a grader failure
        assert done["score"] < 100
    body = {"assignment": "lecture4-numpy", "source": CORRECT, "student_id": "s-after"}
    url = client.post("/api/v1/submissions", headers=admin_auth, json=body).get_json()
    done = client.get(f"{url['links']['submission']}?wait=30", headers=admin_auth).get_json()
    assert done["status"] == "graded" and done["score"] == 100
