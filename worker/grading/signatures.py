"""The verdict on a function whose parameters cannot take the call the grader makes.

Graded functions are called with their required parameters by position and those with
defaults by name (worker.sandbox.child.calling), so renaming parameters costs nothing; a
function that takes too few or too many, or renames one with a default, is told so in one
sentence that shows both signatures.
"""

from __future__ import annotations

from reference.pack import Observation, Pack, Verdict
from worker.grading.plan import PlannedCase

DIAGNOSIS = "signature_mismatch"


def signature_verdict(pack: Pack, planned: PlannedCase, observation: Observation) -> Verdict:
    """Fail a case whose function cannot be called as the contract says, naming both
    signatures (a hidden case shows none of the student's text)."""
    fn = planned.case.function
    contract = pack.function(fn).signature
    how = (
        "required parameters are passed by position and those with defaults by name"
        if "=" in contract
        else "its arguments are passed by position"
    )
    if planned.case.visibility == "hidden":
        message = f"{fn} cannot take the call {contract} ({how}): see its visible tests"
        return Verdict(False, message, DIAGNOSIS)
    theirs, _, why = observation.error.partition("\n")
    reason = f" ({why.strip()})" if why.strip() else ""
    message = (
        f"{fn} cannot take the call the grader makes: the assignment's signature is "
        f"{contract} and yours is {theirs}{reason}; {how}"
    )
    return Verdict(False, message, DIAGNOSIS)
