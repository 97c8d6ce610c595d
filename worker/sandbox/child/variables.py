"""Child side: describe the variables a student's file left behind, as plain data.

For notebook exercises graded by their variables (``Probe(kind="variable")``): after the
chunks ran, each named variable is described by its type's module and qualified name (and
its MRO's), its value where :mod:`.values` can send it (a tensor: dtype, shape, device and
values), the class it holds where it holds one, and the attributes the probe asks for
(``reduction``, ``weight``...). The parent judges; nothing here compares anything.

Reading an attribute can run the student's code (a property): callers do it under the
guard and within the call's deadline. Type names are read through ``type`` itself, so a
student's ``__class__`` cannot pose as another type.
"""

from __future__ import annotations

from typing import Any

from . import values

MAX_MRO = 32
MAX_NAME = 200
_QUALNAME = type.__dict__["__qualname__"]
_MODULE = type.__dict__["__module__"]


def qualified(cls: type) -> str:
    """'module.qualname' of ``cls``, read past any metaclass, capped in length."""
    try:
        name = f"{_MODULE.__get__(cls)}.{_QUALNAME.__get__(cls)}"
    except Exception:  # noqa: BLE001 - an odd class
        name = "?"
    return name[:MAX_NAME]


def read(namespace: dict, names: list[str], attributes: list[str]) -> dict[str, tuple]:
    """Return name -> (value, {attribute: value}) for the names that exist (student code
    may run here: call it under the guard)."""
    found = {}
    for name in names:
        if name not in namespace:
            continue
        value = namespace[name]
        attrs = {}
        for attr in attributes:
            try:
                attrs[attr] = getattr(value, attr)
            except Exception:  # noqa: BLE001 - absent, or a property that raises
                continue
        found[name] = (value, attrs)
    return found


def describe(found: dict[str, tuple], frames: list[bytes]) -> dict[str, dict]:
    """Return the wire description of each variable read by :func:`read`."""
    return {name: _entry(value, attrs, frames) for name, (value, attrs) in found.items()}


def _entry(value: Any, attrs: dict[str, Any], frames: list[bytes]) -> dict:
    kind = type(value)
    entry: dict[str, Any] = {
        "type": qualified(kind),
        "mro": [qualified(c) for c in type.__dict__["__mro__"].__get__(kind)[:MAX_MRO]],
    }
    if isinstance(value, type):
        entry["class"] = qualified(value)
    entry["value"], entry["unsent"] = _data(value, frames)
    entry["attributes"] = {}
    for attr, item in attrs.items():
        data, unsent = _data(item, frames)
        if not unsent:
            entry["attributes"][attr] = data
    return entry


def _data(value: Any, frames: list[bytes]) -> tuple[dict | None, str]:
    """(wire tree, '') of a value that can be sent, else (None, what it is)."""
    mark = len(frames)
    try:
        return values.encode_value(value, frames), ""
    except values.UnsupportedValueError as e:
        del frames[mark:]
        return None, str(e)[:MAX_NAME]
    except Exception as e:  # noqa: BLE001 - e.g. a tensor that refuses .numpy()
        del frames[mark:]
        return None, f"a value that cannot be read ({type(e).__name__})"


def reply(namespace: dict, header: dict, guard: Any, frames: list[bytes], max_bytes: int) -> dict:
    """Answer a variable probe: the call reply's fields ('variables' when status is 'ok')."""
    own, probe = header["function"], header.get("probe", {})
    if own not in namespace:
        return {"status": "missing", "error": f"{own} is not defined"}
    names = [own] + [n for n in probe.get("names", ()) if type(n) is str and n != own]
    attributes = [a for a in probe.get("attributes", ()) if type(a) is str]
    with guard.student_call() as hits:
        try:
            found = read(namespace, names, attributes)
        except BaseException as e:  # noqa: BLE001 - SystemExit from a student's property
            return {"status": "exception", "error": f"{type(e).__name__} reading {own}"}
    if hits:
        return {"status": "forbidden", "forbidden": list(hits), "error": f"reading {own}"}
    described = describe(found, frames)
    size = sum(len(f) for f in frames)
    if size > max_bytes:
        frames.clear()
        return {"status": "bad_result", "error": f"{own} is too large ({size / 2**20:.1f} MiB)"}
    return {"status": "ok", "variables": described}
