"""What a grading run asks of the sandbox, worked out without running anything."""

from __future__ import annotations

from dataclasses import replace

from reference.pack import Device, Pack
from worker.grading.chunks import NotGradableError, ParsedSource
from worker.grading.forbidden import StaticFacts, analyse
from worker.grading.plan import PlannedCase, call_specs
from worker.grading.reflection import reflection_flags
from worker.sandbox.host.api import Limits, SandboxRequest


def static_facts(pack: Pack, parsed: ParsedSource) -> StaticFacts:
    """Return the forbidden names each graded function uses and what it may call, found
    without running it."""
    owner = "Tensor" if pack.runtime == "torch" else "ndarray"
    names = [spec.name for spec in pack.functions]
    try:
        facts = analyse(parsed.statements, pack.forbidden, names, owner)
        flags = reflection_flags(parsed.statements, parsed.chunks)
    except RecursionError:  # parsable, but nested deeper than the analysis can follow
        raise NotGradableError(
            "too_complex",
            "your code nests expressions hundreds of levels deep, too deep to be checked: "
            "split them into smaller steps",
        ) from None
    return replace(facts, flags=tuple(flags))


def sandbox_request(
    pack: Pack,
    device: Device,
    parsed: ParsedSource,
    static: StaticFacts,
    planned: list[PlannedCase],
    limits: Limits,
) -> SandboxRequest:
    """The submission's chunks and the calls of ``planned``, but for functions already
    failed for a forbidden name (no need to run them)."""
    skip = {name for name, used in static.forbidden.items() if used}
    return SandboxRequest(
        runtime=pack.runtime,
        device=device,
        chunks=parsed.chunks,
        calls=call_specs(planned, skip),
        forbidden=pack.forbidden,
        limits=limits,
        support=pack.support,
    )
