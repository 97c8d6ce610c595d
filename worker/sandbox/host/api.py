"""The boundary between the grading pipeline and the process that runs student code.

The pipeline builds a :class:`SandboxRequest` (the student's source split into chunks, and
the calls to make with their inputs) and hands it to a :class:`SandboxRunner`. The runner
runs the chunks in a child process, makes the calls there, and returns a
:class:`SandboxReport` of plain, validated data. Expected values never enter the child.

Runners differ only in isolation (a plain child process, or a zygote inside namespaces with
seccomp and Landlock); the request and report are the same, so hardening the sandbox does
not change this API. A runner never raises for what the student did: timeouts, crashes,
exceptions and forbidden calls are statuses in the report. It raises
:class:`SandboxInfrastructureError` only for our own failures (cannot fork, bwrap missing).

Substituted helpers: a call may name ``substitutes``, graded functions that, during that
call only, are bound in the student's module to proxies. A proxy sends its arguments to
the parent, which runs the trusted ``SandboxRequest.oracles[name]`` on them and sends the
result back (or a refusal, raised as ValueError in the child). The oracle's code never
enters the child; its answers are data, its arguments are checked like results.

Hidden calls (``CallSpec.hidden``): their output is left out of ``SandboxReport.output``
and their error texts are ours alone (the exception's type and a fixed sentence:
``hidden.py``), so nothing printed or raised can carry a hidden input out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from common import sandbox_defaults as sd
from reference.pack import Device, Forbidden, Observation, Oracle, Probe, Runtime

# The error of a call not made because its function timed out earlier in the same run.
TIMED_OUT_EARLIER = "timed out earlier in this submission, so it was not called again"


class SandboxInfrastructureError(RuntimeError):
    """The sandbox itself failed (our fault, never the student's): retry elsewhere."""


@dataclass(frozen=True)
class SourceChunk:
    """One piece of student code, run in order: a notebook cell or a top-level statement.

    ``origin`` is what the student sees ('submission.py', 'cell 3'); ``first_line`` is the
    1-based line of ``code`` within that origin, so tracebacks name the student's lines.
    """

    code: str
    origin: str
    first_line: int = 1
    cell: int | None = None


@dataclass(frozen=True)
class CallSpec:
    """One call to make in the child: ``function(*positional, **rest of kwargs)`` under
    ``probe``.

    ``kwargs`` values are np.ndarray, reference.pack.TensorArg, int, float or bool.
    ``positional`` names the inputs passed by position, in order (the contract's required
    parameters, so a student's own parameter names do not matter); the rest go by keyword.
    ``substitutes``: graded functions replaced by oracle proxies during this call.
    ``hidden``: a hidden test (output withheld, error texts replaced by our own).
    """

    call_id: str
    function: str
    kwargs: dict[str, Any]
    probe: Probe = field(default_factory=Probe)
    time_limit_s: float = sd.SANDBOX_CALL_S
    substitutes: tuple[str, ...] = ()
    hidden: bool = False
    positional: tuple[str, ...] = ()


@dataclass(frozen=True)
class Limits:
    """Resource limits of one submission's child process(es).

    The grading side builds them from the settings and the pack's overrides
    (worker.grading.runner_setup.sandbox_limits); the defaults are the settings'
    (common/sandbox_defaults.py).
    """

    cpu_s: int = sd.SANDBOX_CPU_S  # RLIMIT_CPU for the whole submission, seconds
    wall_s: float = sd.SANDBOX_SUBMISSION_S  # wall-clock budget, whole submission, seconds
    import_s: float = sd.SANDBOX_IMPORT_S  # wall-clock budget for the chunks, seconds
    memory_mb: int = sd.SANDBOX_MEMORY_MB  # address space above the zygote's, MiB
    call_s: float = sd.SANDBOX_CALL_S  # a call's limit where its case sets none, seconds
    file_mb: int = 16  # largest file / scratch space, MiB
    open_files: int = 64
    output_bytes: int = 64 * 1024  # stdout+stderr kept (the rest is dropped and counted)
    result_bytes: int = 64 * 1024 * 1024  # largest reply for one call (and oracle request)
    oracle_calls: int = 20_000  # oracle answers per call, all substitutes together


@dataclass(frozen=True)
class SandboxRequest:
    """Everything a runner needs for one submission.

    ``oracles`` maps each name in the calls' ``substitutes`` to its trusted implementation
    (reference.pack.Oracle); runners call them in the parent and never send them.
    ``support`` maps module names to the Python source of the pack's support modules
    (reference.pack.Pack.support), which the student's code can import in the child.
    """

    runtime: Runtime
    device: Device
    chunks: tuple[SourceChunk, ...]
    calls: tuple[CallSpec, ...]
    forbidden: Forbidden = field(default_factory=Forbidden)
    limits: Limits = field(default_factory=Limits)
    oracles: Mapping[str, Oracle] = field(default_factory=dict)
    support: Mapping[str, str] = field(default_factory=dict)


ImportStatus = Literal["ok", "exception", "timeout", "memory_limit", "crashed", "forbidden"]


@dataclass(frozen=True)
class ChunkError:
    """A chunk that raised while the file ran; the chunks after it still ran.

    ``status`` is 'exception', 'forbidden' or 'memory_limit'; ``error`` the exception text
    with the student's traceback lines; ``line`` the line in the chunk's origin, if known.
    """

    chunk: int
    status: ImportStatus
    error: str
    line: int | None = None


@dataclass(frozen=True)
class ImportOutcome:
    """How running the chunks went.

    A chunk that raises does not stop the others: it is listed in ``raised`` and running
    goes on. ``status`` is 'ok' if every chunk ran. Otherwise (the child hung or died)
    ``failed_chunk`` is the index of the chunk where it stopped and ``error`` says why;
    ``defined`` lists the top-level callables that existed when running ended.
    """

    status: ImportStatus
    defined: tuple[str, ...] = ()
    failed_chunk: int | None = None
    error: str = ""
    line: int | None = None  # line within the failed chunk's origin, if known
    raised: tuple[ChunkError, ...] = ()


@dataclass(frozen=True)
class SandboxReport:
    """The result of one submission's run: import outcome, one Observation per call."""

    imported: ImportOutcome
    observations: dict[str, Observation]  # by CallSpec.call_id, one for every call
    output: str = ""  # stdout+stderr at import and in calls not hidden, cut to the limit
    duration_ms: float = 0.0


class SandboxRunner(Protocol):
    """Runs one submission's chunks and calls; reusable across submissions."""

    def run(self, request: SandboxRequest) -> SandboxReport:
        """Run ``request`` and return its report (never raises for student faults)."""
        ...

    def close(self) -> None:
        """Release processes and files held by the runner."""
        ...
