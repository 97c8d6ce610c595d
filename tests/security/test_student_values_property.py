"""Property: whatever a child sends back for a call, the run is `graded` (issue 11, class 5).

The child is untrusted, so any reply is possible. A fake runner answers every call of a
lecture4 battery with one forged reply (a value tree and its frames, drawn by hypothesis)
through the parent's own reading code (replies.observation, hidden.scrub); the pipeline
must judge it as a failed or passed case, never report `failed`, and store it as JSON.
"""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from common.contracts import GradingResult, GradingStatus
from reference.packs import get_pack
from worker.grading.pipeline import grade_source
from worker.sandbox.host import hidden, replies
from worker.sandbox.host.api import ImportOutcome, SandboxReport, SandboxRequest

NUMERIC = st.one_of(
    hnp.integer_dtypes(), hnp.unsigned_integer_dtypes(), hnp.floating_dtypes(), hnp.boolean_dtypes()
)


def npy(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def zip_frame() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.npy", npy(np.zeros(3)))
    return buffer.getvalue()


frames = st.lists(
    st.one_of(
        hnp.arrays(NUMERIC, hnp.array_shapes(min_dims=0, max_dims=3, max_side=6)).map(npy),
        st.just(zip_frame()),
        st.just(npy(np.array([object()]), allow_pickle=True)),
        st.just(npy(np.zeros(2, dtype=[("a", "f8")]))),
        st.binary(max_size=64),
        st.binary(max_size=16).map(lambda tail: b"\x93NUMPY" + tail),
    ),
    max_size=4,
)

# Numbers as the wire spells them: decimal ints of any size, float.hex() and junk.
ints = st.one_of(st.integers(), st.integers(min_value=10**300, max_value=10**399)).map(str)
floats = st.one_of(st.floats().map(float.hex), st.sampled_from(["inf", "nan", "-0x1p+1024", "x"]))
texts = st.one_of(st.text(max_size=30), st.sampled_from(["\ud800", "a\udfffb", "x" * 9000]))
leaves = st.one_of(
    st.just({"k": "none"}),
    st.booleans().map(lambda v: {"k": "bool", "v": v}),
    ints.map(lambda v: {"k": "int", "v": v}),
    floats.map(lambda v: {"k": "float", "v": v}),
    texts.map(lambda v: {"k": "str", "v": v}),
    st.integers(-1, 5).map(lambda i: {"k": "ndarray", "frame": i}),
    st.builds(
        lambda i, dtype, device, grad: {
            "k": "tensor",
            "frame": i,
            "dtype": dtype,
            "device": device,
            "requires_grad": grad,
        },
        st.integers(-1, 5),
        st.one_of(st.sampled_from(["float64", "float32", "int64"]), texts),
        st.one_of(st.sampled_from(["cpu", "cuda:0"]), texts),
        st.booleans(),
    ),
    st.dictionaries(texts, st.integers(), max_size=2),  # not a value node at all
)
trees = st.recursive(
    leaves,
    lambda inner: st.builds(
        lambda kind, items: {"k": kind, "v": items},
        st.sampled_from(["list", "tuple"]),
        st.lists(inner, max_size=4),
    ),
    max_leaves=8,
)
statuses = st.one_of(st.just("ok"), st.sampled_from(sorted(replies.CALL_STATUSES)))  # ok: judged
replies_ = st.fixed_dictionaries(
    {"op": st.just("result"), "status": statuses, "value": st.one_of(leaves, trees)},
    optional={
        "error": st.one_of(texts, st.integers()),
        "mutated": st.lists(st.sampled_from(["scores", "W", "x"]), max_size=2),
        "forbidden": st.lists(texts, max_size=2),
        "grad": trees,
        "output": texts,
        "dropped": st.integers(-5, 5),
    },
)


class ForgedRunner:
    """A runner whose child answers every call with the same forged reply."""

    def __init__(self, reply: dict, frames: list[bytes]) -> None:
        self.reply, self.frames = reply, frames

    def run(self, request: SandboxRequest) -> SandboxReport:
        defined = tuple(c.function for c in request.calls)
        observations = {}
        for call in request.calls:
            reply = {**self.reply, "call_id": call.call_id}
            seen = replies.observation(call, reply, list(self.frames), 1.0)
            observations[call.call_id] = hidden.scrub(seen) if call.hidden else seen
        return SandboxReport(ImportOutcome("ok", defined), observations)

    def close(self) -> None:
        pass


SOURCE = "def softmax(scores):\n    return scores\n"


@pytest.mark.slow
@pytest.mark.parametrize("pack", ["lecture4-numpy", "lecture4-torch"])
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reply=replies_, frames=frames)
@example(
    reply={"op": "result", "status": "ok", "value": {"k": "int", "v": "1" + "0" * 399}}, frames=[]
)
@example(
    reply={"op": "result", "status": "ok", "value": {"k": "ndarray", "frame": 0}},
    frames=[zip_frame()],
)
def test_no_reply_a_child_can_send_makes_the_grader_fail(pack, reply, frames):
    get_pack(pack)  # the battery is built once per process, not per example
    result = grade_source(pack, "submission.py", SOURCE, runner=ForgedRunner(reply, frames))
    assert result.status == GradingStatus.GRADED, result.error
    assert GradingResult.model_validate_json(result.model_dump_json()) == result
