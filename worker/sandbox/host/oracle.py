"""Parent side: answer a child's requests for a reference helper during a substituted call.

A child asks only through the proxies the harness binds for ``CallSpec.substitutes``, but
everything in a request is untrusted: the name must be one the call lent, the arguments
are rebuilt by :func:`.values.decode_value` (exact types, ``.npy`` frames read without
pickle) and the answers per call are capped. The trusted oracle runs here; what goes back
is data: ``oracle_result`` (a value tree, like call inputs) or ``oracle_error`` (a sentence
the proxy raises as ValueError in the student's code). Arguments larger than the call's own
inputs are refused before the oracle runs (:mod:`.oracle_bounds`), and an oracle that runs
out of memory (the worker's own cap, worker.memory_cap) is a refusal too: one failed case.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reference.pack import Oracle, TensorValue

from ..child import values
from .api import CallSpec
from .oracle_bounds import Bounds
from .replies import ReplyError, encode_input

MAX_ARGUMENTS = 32
MAX_REFUSAL_CHARS = 500
# What an oracle raises for arguments it cannot use: the student's mistake, told to them.
REFUSED = (ValueError, TypeError, IndexError)


class Lender:
    """The oracles lent to one call: answers its requests and counts them."""

    def __init__(self, call: CallSpec, oracles: Mapping[str, Oracle], limit: int) -> None:
        self.call, self.oracles, self.limit = call, oracles, limit
        self.answered = 0
        self.bounds = Bounds.of_inputs(call.kwargs)

    def answer(self, request: dict, frames: list[bytes]) -> tuple[dict, list[bytes]]:
        """Return the reply (header, frames) to one ``oracle`` request.

        Raises ReplyError (or wire.WireError) for a request no proxy of this call sends: a
        name it was not lent, another call's id, malformed arguments.
        """
        name = request.get("name")
        if request.get("call_id") != self.call.call_id or name not in self.call.substitutes:
            raise ReplyError("an oracle request this call did not allow")
        if name not in self.oracles:
            raise ReplyError(f"an oracle request for {name!r}, which has no oracle")
        args, kwargs = _arguments(request, frames)
        self.answered += 1
        if self.answered > self.limit:
            return refusal(f"the reference {name} was called more than {self.limit} times")
        too_large = self.bounds.refusal([*args, *kwargs.values()])
        if too_large:
            return refusal(f"the reference {name} was passed {too_large}")
        try:
            value = self.oracles[name](*args, **kwargs)
        except REFUSED as e:
            return refusal(str(e) or f"the reference {name} cannot use these arguments")
        except MemoryError:
            return refusal(f"the reference {name} ran out of memory on these arguments")
        except Exception as e:  # noqa: BLE001 - the student's arguments broke it (lr=10**400)
            return refusal(f"the reference {name} cannot use these arguments ({type(e).__name__})")
        out: list[bytes] = []
        return {"op": "oracle_result", "value": encode_input(value, out)}, out


def refusal(message: str) -> tuple[dict, list[bytes]]:
    """An ``oracle_error`` reply: the proxy raises ValueError(message) in the child."""
    return {"op": "oracle_error", "message": message[:MAX_REFUSAL_CHARS]}, []


def _arguments(request: dict, frames: list[bytes]) -> tuple[list[Any], dict[str, Any]]:
    """Rebuild a request's positional and keyword arguments (exact types only)."""
    args, kwargs = request.get("args"), request.get("kwargs")
    if type(args) is not list or type(kwargs) is not dict:
        raise ReplyError("an oracle request without argument lists")
    if len(args) + len(kwargs) > MAX_ARGUMENTS:
        raise ReplyError("an oracle request with too many arguments")
    if not all(type(k) is str and k.isidentifier() for k in kwargs):
        raise ReplyError("an oracle request with a keyword that is not a name")
    decoded = [values.decode_value(tree, frames, TensorValue) for tree in args]
    named = {k: values.decode_value(tree, frames, TensorValue) for k, tree in kwargs.items()}
    return decoded, named
