"""Child side: proxies that stand in for a student's helpers with the grader's reference.

During a call with ``substitutes`` (worker.sandbox.host.api), each of those names is bound in
the student's module to a proxy. Calling it sends the arguments to the parent as an
``oracle`` message (encoded like results: no pickle) and waits for the answer, which the
harness rebuilds like call inputs. The reference's code never comes here: a proxy is a
small function of this module, and an answer is data. A proxy answers only while the call
it was lent to runs, at most ``oracle_calls`` times; the parent checks all of it again.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from . import values, wire

_UNSET = object()
Decode = Callable[[Any, list[bytes], str | None], Any]  # (tree, frames, device) -> value


@dataclass
class _Loan:
    """The proxies lent to the call in progress, and how often they were used."""

    call_id: Any
    names: frozenset[str]
    limit: int
    used: int = 0


class Lending:
    """The proxies of one child: bound during substituted calls, answered over the pipes."""

    def __init__(self, rfd: int, wfd: int, max_message: int, decode: Decode) -> None:
        self.rfd, self.wfd, self.max_message, self.decode = rfd, wfd, max_message, decode
        self.max_bytes = 64 * 2**20  # largest arguments sent; the harness sets the limit
        self.loan: _Loan | None = None
        self.lock = threading.Lock()  # one exchange at a time, even from a student's threads

    @contextmanager
    def lent(self, namespace: MutableMapping[str, Any], header: dict) -> Iterator[None]:
        """Bind the call's substitutes to proxies in ``namespace`` for the call only."""
        names = [name for name in header.get("substitutes", ()) if type(name) is str]
        if not names:
            yield
            return
        saved = {name: namespace.get(name, _UNSET) for name in names}
        limit = int(header.get("oracle_calls", 0))
        self.loan = _Loan(header.get("call_id"), frozenset(names), limit)
        namespace.update({name: _proxy(self, name) for name in names})
        try:
            yield
        finally:
            with self.lock:  # a student's thread may be mid-exchange: let it finish first
                self.loan = None
            for name, value in saved.items():
                if value is _UNSET:
                    namespace.pop(name, None)
                else:
                    namespace[name] = value

    def ask(self, name: str, args: tuple, kwargs: dict) -> Any:
        """Send one helper call to the parent's reference and return its answer."""
        with self.lock:
            loan = self.loan
            if loan is None or name not in loan.names:
                raise RuntimeError(f"the reference {name} answers only in the test it was lent to")
            loan.used += 1
            if loan.used > loan.limit:
                raise RuntimeError(f"the reference {name} was called more than {loan.limit} times")
            frames: list[bytes] = []
            request = {"op": "oracle", "call_id": loan.call_id, "name": name}
            request.update(_encode_arguments(name, args, kwargs, frames))
            if sum(len(frame) for frame in frames) > self.max_bytes:
                raise ValueError(f"the arguments of {name} are too large to send to the reference")
            wire.send(self.wfd, request, frames)
            reply, reply_frames = wire.recv(self.rfd, self.max_message)
        if reply.get("op") == "oracle_error":
            raise ValueError(str(reply.get("message", "")))
        if reply.get("op") != "oracle_result":
            raise RuntimeError(f"the grader sent no answer for the reference {name}")
        return self.decode(reply.get("value"), reply_frames, _device_of(args, kwargs))


def _proxy(lending: Lending, name: str) -> Callable[..., Any]:
    """A stand-in for the student's ``name``: forwards each call to the grader's reference."""

    def proxy(*args: Any, **kwargs: Any) -> Any:
        return lending.ask(name, args, kwargs)

    proxy.__name__ = proxy.__qualname__ = name
    proxy.__doc__ = f"The grader's reference {name}, standing in for yours during this test."
    return proxy


def _encode_arguments(name: str, args: tuple, kwargs: dict, frames: list[bytes]) -> dict:
    """The wire trees of a proxy call's arguments; ValueError naming what cannot be sent."""
    try:
        return {
            "args": [values.encode_value(a, frames) for a in args],
            "kwargs": {str(k): values.encode_value(v, frames) for k, v in kwargs.items()},
        }
    except values.UnsupportedValueError as e:
        raise ValueError(f"the reference {name} cannot take {e}") from None
    except Exception as e:  # noqa: BLE001 - e.g. a tensor that refuses .numpy()
        raise ValueError(f"the arguments of {name} cannot be sent to the reference: {e}") from None


def _device_of(args: tuple, kwargs: dict) -> str | None:
    """The device of the first tensor argument (answers are built there), or None."""
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    for value in (*args, *kwargs.values()):
        if isinstance(value, torch.Tensor):
            return str(value.device)
    return None
