"""Call a student function as the contract does: required inputs by position, the rest by
keyword, so a correct ``def softmax(X):`` is called as well as ``def softmax(scores):``.

Before calling, the function's own signature is tried against the call: one that cannot
take it is reported as such (with its signature) instead of as a TypeError from inside.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

MAX_SIGNATURE_CHARS = 300


def split(inputs: dict[str, Any], positional: Sequence[Any]) -> tuple[list, dict[str, Any]]:
    """Return (args, kwargs): the inputs named in ``positional`` in that order, then the rest
    by name. Names that are not inputs are ignored (the parent sends only inputs)."""
    names = [n for n in positional if type(n) is str and n in inputs]
    args = [inputs[n] for n in names]
    rest = {k: v for k, v in inputs.items() if k not in names}
    return args, rest


def mismatch(function: Callable, args: list, kwargs: dict[str, Any]) -> str | None:
    """Return '(X, y)\\n<why>' if ``function``'s signature cannot take this call, else None.

    Student code can run here (a ``__signature__`` property): call it where a student call
    runs, under the guard and the call's deadline. A signature that cannot be read (a
    builtin, an odd object) is not judged: the call itself then says what is wrong.
    """
    try:
        signature = inspect.signature(function)
    except Exception:  # noqa: BLE001 - ValueError, TypeError, or whatever a student raises
        return None
    try:
        signature.bind(*args, **kwargs)
    except TypeError as e:
        text = str(signature)[:MAX_SIGNATURE_CHARS]
        return f"{text}\n{str(e)[:MAX_SIGNATURE_CHARS]}"
    except Exception:  # noqa: BLE001 - a student's Signature subclass
        return None
    return None
