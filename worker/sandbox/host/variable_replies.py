"""Parent side: the child's description of a notebook's variables, checked field by field.

The answer to a ``Probe(kind="variable")`` call is ``{"variables": {name: entry}}`` (see
worker/sandbox/child/variables.py). Like every reply it is untrusted: each field is checked
for its exact type and size, values are rebuilt by ``values.decode_value``, and anything
else raises ReplyError (the call becomes ``bad_result``).
"""

from __future__ import annotations

from typing import Any

from reference.pack import TensorValue, VariableValue

from ..child import values
from .api import CallSpec
from .replies import ReplyError

MAX_VARIABLES = 16
MAX_MRO = 32
MAX_NAME = 200


def variables(call: CallSpec, tree: Any, frames: list[bytes]) -> dict[str, VariableValue]:
    """Return name -> VariableValue for the names the probe asked about that exist."""
    asked = {call.function, *call.probe.names}
    if type(tree) is not dict or len(tree) > MAX_VARIABLES:
        raise ReplyError("a description of variables that is not an object")
    if call.function not in tree:
        raise ReplyError(f"no description of {call.function}")
    found = {}
    for name, entry in tree.items():
        if name not in asked:
            raise ReplyError(f"a description of a variable not asked for ({str(name)[:40]!r})")
        found[name] = variable(entry, call.probe.attributes, frames)
    return found


def variable(entry: Any, attributes: tuple[str, ...], frames: list[bytes]) -> VariableValue:
    """One variable's description, validated."""
    if type(entry) is not dict:
        raise ReplyError("a variable description that is not an object")
    mro = entry.get("mro", [])
    if type(mro) is not list or len(mro) > MAX_MRO:
        raise ReplyError("a type's MRO that is not a short list")
    attrs = entry.get("attributes", {})
    if type(attrs) is not dict or not set(attrs) <= set(attributes):
        raise ReplyError("attributes that were not asked for")
    tree = entry.get("value")
    class_name = entry.get("class")
    return VariableValue(
        type_name=short(entry.get("type")),
        mro=tuple(short(name) for name in mro),
        value=None if tree is None else values.decode_value(tree, frames, TensorValue),
        unsent="" if entry.get("unsent") in (None, "") else short(entry.get("unsent")),
        class_name=None if class_name is None else short(class_name),
        attributes={k: values.decode_value(v, frames, TensorValue) for k, v in attrs.items()},
    )


def short(value: Any) -> str:
    """A name-like string of at most MAX_NAME characters."""
    if type(value) is not str or len(value) > MAX_NAME:
        raise ReplyError("a type name that is not a short string")
    return value
