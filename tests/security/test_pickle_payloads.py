"""Pickle payloads: nothing from the child is ever unpickled by the parent."""

from __future__ import annotations

import tempfile
from pathlib import Path


def test_an_object_with_reduce_is_refused_and_never_runs(attack):
    marker = Path(tempfile.gettempdir()) / f"pwned-{attack.canary}"
    code = f"""
    import os
    import numpy as np
    class Payload:
        def __reduce__(self):
            return (os.system, ("touch {marker}",))
    def plain(x):
        return Payload()
    def in_array(x):
        return np.array([Payload()], dtype=object)
    def in_list(x):
        return [x, Payload()]
    """
    calls = [attack.call(n, x=attack.x()) for n in ("plain", "in_array", "in_list")]
    report = attack.run(code, *calls)
    for name in ("plain", "in_array", "in_list"):
        assert report.observations[name].status == "bad_result", name
    assert "Payload" in report.observations["plain"].error
    assert "dtype object" in report.observations["in_array"].error
    assert not marker.exists()
    attack.still_grades()


def test_a_forged_pickled_frame_on_the_pipe_is_refused(attack):
    marker = Path(tempfile.gettempdir()) / f"pwned-frame-{attack.canary}"
    code = f"""
    import io, os
    import numpy as np
    from sandbox import wire
    class Payload:
        def __reduce__(self):
            return (os.system, ("touch {marker}",))
    def f(x):
        buffer = io.BytesIO()
        np.save(buffer, np.array([Payload()], dtype=object), allow_pickle=True)
        wire.send(4, {{"op": "result", "call_id": "f", "status": "ok",
                       "value": {{"k": "ndarray", "frame": 0}}}}, [buffer.getvalue()])
        os._exit(0)
    """
    report = attack.run(code, attack.call("f", x=attack.x()))
    assert report.observations["f"].status == "bad_result"
    assert not marker.exists()
    attack.still_grades()
