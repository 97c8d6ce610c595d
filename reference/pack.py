"""The data model of an assignment pack: functions, cases, tolerances, forbidden calls.

A pack is a module under ``reference/packs/`` that exposes ``PACK: Pack``. The worker's
grading pipeline knows only this model, so adding a pack needs no change in ``worker/`` or
``service/``. Everything here is plain dataclasses over NumPy: it imports nothing else from
the project and stays importable where only numpy (and torch) are installed.

Flow of one case (all of it in the trusted process, except the call itself):

    inputs = case.build()                     # kwargs: np.ndarray / TensorArg / int / float
    observation = sandbox call of case.function(**inputs) with case.probe
    verdict = case.check(inputs, observation)  # computes the expected value itself

Variable checks (``VariableSpec``, ``Probe(kind="variable")``): for notebook exercises
whose students write top-level statements, a case names a variable instead of a function.
After the file runs, the sandbox describes that variable (and any others the probe names)
as plain data, a :class:`VariableValue`; the case's check judges it here.

Composed functions (``FunctionSpec.helpers``): a function that builds on other graded
functions is, where one of those failed, graded again with ``Pack.oracles`` standing in
for them, so one bug costs the points of one function.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Runtime = Literal["numpy", "torch"]
Device = Literal["cpu", "cuda"]
Visibility = Literal["visible", "hidden"]

# What the sandbox reports for one call. Only "ok" observations reach Case.check; the
# pipeline turns every other status into a failed case with its own message.
CallStatus = Literal[
    "ok",  # the function returned; value holds its (decoded) result
    "missing",  # the function is not defined (or was defined after an import error)
    "exception",  # it raised; error holds type, message and the student's traceback lines
    "timeout",  # it ran past the case's time limit
    "memory_limit",  # it ran out of memory
    "crashed",  # the child died (segfault, os._exit, killed)
    "forbidden",  # a forbidden call was made at run time (names in ``forbidden``)
    "bad_result",  # the result could not be sent back (unsupported type, too large)
    "bad_signature",  # its parameters cannot take the call; error: 'f(X, y)\nwhy'
]


@dataclass(frozen=True)
class Tolerance:
    """Explicit tolerances of an allclose test: ``|got - exp| <= atol + rtol * |exp|``."""

    rtol: float
    atol: float


@dataclass(frozen=True)
class TensorArg:
    """An input that the sandbox turns into a torch tensor on the job's device.

    ``array`` keeps its NumPy dtype (float64 -> torch.float64, int64 -> torch.int64).
    ``requires_grad`` asks the child to create the tensor as a leaf that requires grad.
    """

    array: np.ndarray
    requires_grad: bool = False


@dataclass(frozen=True)
class TensorValue:
    """A torch tensor as it came back from the sandbox, moved to the CPU as NumPy.

    ``dtype`` is torch's name ('float64', 'float32', 'int64'), ``device`` e.g. 'cpu' or 'cuda:0'.
    """

    array: np.ndarray
    dtype: str
    device: str
    requires_grad: bool = False


@dataclass(frozen=True)
class Probe:
    """What the sandbox child does with the student function for one case.

    ``call``: call it with the inputs and return its result.
    ``grad``: (torch) call it, then call ``.backward()`` on the 0-dim result (grader code,
    not student code) and also return the gradient of the input named ``wrt``.
    ``variable``: call nothing; describe the variable named as the case's function, and the
    variables in ``names`` too (where they exist), each with its ``attributes``. The
    observation's value is then a dict of name -> :class:`VariableValue`.
    """

    kind: Literal["call", "grad", "variable"] = "call"
    wrt: str | None = None
    names: tuple[str, ...] = ()
    attributes: tuple[str, ...] = ()


@dataclass(frozen=True)
class VariableValue:
    """A variable the student's file left behind, as the sandbox described it.

    ``type_name``: its type, 'module.qualname' ('torch.Tensor', 'builtins.float',
    'torch.nn.modules.loss.CrossEntropyLoss'); ``mro``: the same for every class in that
    type's MRO. ``value``: the value itself where it can be sent as data (TensorValue,
    np.ndarray, int, float, bool, str, None, lists/tuples), else None with ``unsent``
    saying what it was. ``class_name``: where the variable holds a class itself (a missing
    ``()``), that class's 'module.qualname'. ``attributes``: the probe's attributes that
    exist on it, as data (a tensor, a str, a float, None...).
    """

    type_name: str
    mro: tuple[str, ...] = ()
    value: Any = None
    unsent: str = ""
    class_name: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Observation:
    """What one sandboxed call produced, already parsed and validated by the parent.

    ``value`` is built only from np.ndarray (exact type), TensorValue, float, int, bool,
    None, str and tuples/lists of those. ``mutated`` names inputs changed in place.
    ``grad`` is the gradient of ``Probe.wrt`` for grad probes (TensorValue or None).
    ``output`` is what the call printed (bounded); never shown for hidden cases.
    """

    status: CallStatus
    value: Any = None
    mutated: tuple[str, ...] = ()
    grad: TensorValue | None = None
    error: str = ""
    forbidden: tuple[str, ...] = ()
    duration_ms: float = 0.0
    output: str = ""


@dataclass(frozen=True)
class Verdict:
    """A case's outcome: a message a student can act on, and a recognised bug class."""

    passed: bool
    message: str = ""
    diagnosis: str | None = None


Inputs = Mapping[str, Any]
Check = Callable[[Inputs, Observation], Verdict]
# A trusted reference implementation, called in the grader (never in the sandbox) for a
# helper the student's function calls. It takes the arguments as the sandbox sends them
# (np.ndarray, TensorValue, int, float, bool, None, str, lists/tuples of those) and
# returns values the sandbox can send in (np.ndarray, TensorArg, int, float, bool,
# tuples/lists of those). It raises ValueError or TypeError, with a sentence a student can
# act on, for arguments it rejects. It must not initialise CUDA: tensors arrive as NumPy.
Oracle = Callable[..., Any]


@dataclass(frozen=True)
class Case:
    """One test case of one function.

    ``build`` returns the keyword arguments of the call; it must be deterministic (seeded),
    since inputs and expected values are computed once per worker and reused.
    ``describe`` summarises the inputs for students (shown only for visible cases).
    ``weight`` is this case's share of its function's points, relative to the other cases.
    """

    name: str
    function: str
    build: Callable[[], dict[str, Any]]
    check: Check
    describe: str
    visibility: Visibility = "visible"
    weight: float = 1.0
    probe: Probe = field(default_factory=Probe)
    time_limit_s: float | None = None  # None: the function's limit


@dataclass(frozen=True)
class FunctionSpec:
    """A function the student writes: its points, signature, docstring and time limit.

    ``helpers`` names the graded functions this one may build on (cross_entropy_grad on
    softmax). Where the student's function calls a helper that failed its own cases, its
    failed cases are graded again with the pack's oracle of that helper in its place.
    """

    name: str
    points: float
    signature: str  # e.g. "softmax(scores)"
    docstring: str  # shown in the starter file
    time_limit_s: float | None = None  # None: the deployment's AUTOGRADER_SANDBOX_CALL_S
    helpers: tuple[str, ...] = ()

    @property
    def positional(self) -> tuple[str, ...]:
        """The required parameters of ``signature``, in order: passed by position, so a
        student may name them as they like. Parameters with defaults go by keyword."""
        return required_parameters(self.signature)


def required_parameters(signature: str) -> tuple[str, ...]:
    """Return the parameters without defaults of ``"name(a, b, c=1)"``: ('a', 'b')."""
    args = ast.parse(f"def {signature}: pass").body[0].args  # type: ignore[attr-defined]
    plain = args.posonlyargs + args.args
    return tuple(a.arg for a in plain[: len(plain) - len(args.defaults)])


@dataclass(frozen=True)
class VariableSpec:
    """A variable the student's notebook must leave behind: its points and what it holds.

    Its cases name it as their ``function`` (so results, totals and exports treat it like
    a function) and use ``Probe(kind="variable")``.
    """

    name: str
    points: float
    docstring: str  # what the variable must hold, for the catalog
    time_limit_s: float | None = None  # describing it; None: AUTOGRADER_SANDBOX_CALL_S
    positional: tuple[str, ...] = ()  # nothing is called
    helpers: tuple[str, ...] = ()

    @property
    def signature(self) -> str:
        """The variable's name (where a function shows its signature)."""
        return self.name


@dataclass(frozen=True)
class StarterCell:
    """One cell of a pack's own starter notebook (``Pack.starter_cells``)."""

    kind: Literal["markdown", "code"]
    source: str


@dataclass(frozen=True)
class Forbidden:
    """Calls and imports a submission may not use, with the reason shown to the student.

    ``modules``: module prefixes whose import is forbidden (e.g. 'torch', 'sklearn').
    ``calls``: fully qualified callables (e.g. 'torch.nn.functional.cross_entropy').
    ``methods``: tensor/array method names forbidden on any object (e.g. 'softmax').
    ``aliases``: other paths to a forbidden call or module, each with the entry it counts as.
    """

    modules: tuple[str, ...] = ()
    calls: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    reason: str = ""
    # (alias, entry): private and C-level spellings of a forbidden call or module, which
    # count as that entry ('torch._softmax' is 'torch.softmax'); matched like ``calls``.
    aliases: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SandboxLimits:
    """A pack's own values for the per-submission sandbox limits; None keeps the setting.

    The deployment's settings (AUTOGRADER_SANDBOX_*) hold every limit and its default;
    a pack overrides only what its work needs (a longer training loop, a bigger model).
    """

    memory_mb: int | None = None  # sandbox_memory_mb
    cpu_s: int | None = None  # sandbox_cpu_s
    submission_s: float | None = None  # sandbox_submission_s
    import_s: float | None = None  # sandbox_import_s
    call_s: float | None = None  # sandbox_call_s: calls whose case and function set none


@dataclass(frozen=True)
class Pack:
    """An assignment: what the student writes, how it is tested, what is forbidden.

    ``cases(device)`` returns the full battery for a device ('cpu' or 'cuda').
    ``runtime`` picks the sandbox image: 'numpy' (torch not even importable) or 'torch'.
    ``tolerances`` maps an input dtype name ('float64', 'float32') to its Tolerance.
    ``oracles`` maps a function name to its trusted :data:`Oracle`, for the functions
    that others list as ``helpers``.
    ``variables``: graded variables (notebook exercises), next to or instead of functions.
    ``support``: modules the student's code may import (module name -> Python source),
    importable read-only in the sandbox; students do not submit them, and they are never
    the reference. ``starter_cells``: the starter notebook's cells, where the pack writes
    them itself (else the starter has one stub per function).
    """

    id: str
    title: str
    runtime: Runtime
    devices: tuple[Device, ...]
    functions: tuple[FunctionSpec, ...]
    cases: Callable[[Device], list[Case]]
    tolerances: Mapping[str, Tolerance]
    forbidden: Forbidden = field(default_factory=Forbidden)
    starter_preamble: str = ""  # imports at the top of the starter file
    readme: str = ""  # the pack's own notes (what it decided where the spec is silent)
    oracles: Mapping[str, Oracle] = field(default_factory=dict)
    limits: SandboxLimits = field(default_factory=SandboxLimits)
    variables: tuple[VariableSpec, ...] = ()
    support: Mapping[str, str] = field(default_factory=dict)
    starter_cells: tuple[StarterCell, ...] = ()

    @property
    def max_score(self) -> float:
        """Sum of all functions' and variables' points."""
        return float(sum(f.points for f in (*self.functions, *self.variables)))

    def graded(self, name: str) -> FunctionSpec | VariableSpec:
        """Return the spec of function or variable ``name`` (KeyError if none)."""
        for spec in self.variables:
            if spec.name == name:
                return spec
        return self.function(name)

    def function(self, name: str) -> FunctionSpec:
        """Return the spec of function ``name`` (KeyError if the pack has none)."""
        for spec in self.functions:
            if spec.name == name:
                return spec
        raise KeyError(name)
