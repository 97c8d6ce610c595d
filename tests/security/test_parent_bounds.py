"""The trusted parent does bounded work for a child: oracle arguments no larger than the
call's own inputs, reply headers capped before they are parsed, frames no larger than
they hold, and the grading process's own memory capped."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np

from reference.pack import Forbidden
from reference.packs import get_pack
from worker.sandbox.child import wire
from worker.sandbox.host.api import CallSpec, Limits, SandboxRequest, SourceChunk
from worker.sandbox.host.session import REPLY_HEADER_MAX

RNG = np.random.default_rng(0)
W, B = RNG.normal(size=(3, 4)), np.zeros(3)
X, LABELS = RNG.normal(size=(20, 4)), RNG.integers(0, 3, size=20)

BIG_HELPER_ARGS = """
import numpy as np
def cross_entropy_grad(W, b, X, labels):
    raise NotImplementedError
def train(X, labels, W, b):
    answers = [len(cross_entropy_grad(W, b, X, labels))]   # the case's own sizes: fine
    M = 3000                                                # (M, 1) W, M labels: M x M
    try:
        cross_entropy_grad(np.ones((M, 1)), np.zeros(M), np.ones((M, 1)), np.arange(M) % M)
        answers.append("answered")
    except ValueError as e:
        answers.append(str(e))
    return answers
"""


class Spy:
    """The real oracle, recording the shapes it was asked about."""

    def __init__(self, oracle) -> None:
        self.oracle, self.shapes = oracle, []

    def __call__(self, *args):
        self.shapes.append([np.shape(a) for a in args])
        return self.oracle(*args)


def test_an_oracle_never_runs_on_arguments_larger_than_the_calls_inputs(attack):
    spy = Spy(get_pack("lecture4-numpy").oracles["cross_entropy_grad"])
    call = CallSpec("train", "train", {"X": X, "labels": LABELS, "W": W, "b": B},
                    substitutes=("cross_entropy_grad",))  # fmt: skip
    chunk = SourceChunk(textwrap.dedent(BIG_HELPER_ARGS), "submission.py")
    request = SandboxRequest("numpy", "cpu", (chunk,), (call,), Forbidden(), Limits(),
                             oracles={"cross_entropy_grad": spy})  # fmt: skip
    observation = attack.sandbox.run(request).observations["train"]
    assert observation.status == "ok", observation.error
    answered, refused = observation.value
    assert answered == 2  # (dW, db)
    assert "was passed an array" in refused and "3000" in refused
    assert spy.shapes == [[(3, 4), (3,), (20, 4), (20,)]]  # the big request never ran
    attack.still_grades()


FORGED_HEADER = f"""
import json, os, struct
def forge(x):
    head = ("[" + "{{}}," * {REPLY_HEADER_MAX * 4} + "{{}}]").encode()
    os.write(4, b"SBX1" + struct.pack("<II", len(head), 0) + head)
    return 1
"""

FORGED_FRAME = """
import io, json, os, struct
import numpy as np
def forge(x):
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(1))
    frame = buffer.getvalue()
    header_end = frame.index(b"\\n") + 1
    described = "{'descr': '<f8', 'fortran_order': False, 'shape': (10000000000,), }"
    text = frame[:10] + described.ljust(header_end - 11).encode() + b"\\n"
    frame = text + frame[header_end:]
    head = json.dumps({"op": "result", "call_id": "forge", "status": "ok",
                       "value": {"k": "ndarray", "frame": 0}}).encode()
    os.write(4, b"SBX1" + struct.pack("<IIQ", len(head), 1, len(frame)) + head + frame)
    import time
    time.sleep(30)
"""


def test_a_forged_reply_header_is_refused_unparsed(attack, monkeypatch):
    parsed = []
    real = wire.parse_header
    monkeypatch.setattr(wire, "parse_header", lambda raw: parsed.append(len(raw)) or real(raw))
    report = attack.run(FORGED_HEADER, attack.call("forge", x=attack.x()))
    observation = report.observations["forge"]
    assert observation.status == "bad_result"
    assert "header of" in observation.error and "exceeds the limit" in observation.error
    assert max(parsed) <= REPLY_HEADER_MAX
    attack.still_grades()


def test_a_frame_that_declares_more_than_it_holds_is_refused(attack):
    report = attack.run(FORGED_FRAME, attack.call("forge", x=attack.x()))
    observation = report.observations["forge"]
    assert observation.status == "bad_result"
    assert "declares" in observation.error
    attack.still_grades()


CAPPED = """
import numpy as np
from worker import memory_cap
from worker.grading.pipeline import grade_source
from worker.sandbox.host.bwrap_runner import BwrapRunner

assert memory_cap.apply(512) == 512 * 2**20
try:
    np.ones(2**28)  # 2 GiB in the grading process itself
    print("allocated")
except MemoryError:
    print("refused")
with BwrapRunner() as runner:  # its zygotes (torch maps more than 512 MiB) lift the cap
    for pack, fixture in (("lecture4-numpy", "numpy"), ("lecture4-torch", "torch")):
        source = open(f"tests/fixtures/submissions/{fixture}_correct.py").read()
        print(grade_source(pack, "submission.py", source, runner=runner).score)
"""


def test_the_grading_process_has_its_own_memory_cap_and_its_sandbox_still_runs(attack):
    run = subprocess.run([sys.executable, "-c", CAPPED], capture_output=True, text=True,
                         cwd=attack.repo, timeout=300, check=False)  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["refused", "100.0", "100.0"]
