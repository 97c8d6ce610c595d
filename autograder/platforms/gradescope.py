"""Gradescope's results.json for a result graded inside its container."""

from __future__ import annotations

from autograder.platforms.config import HiddenVisibility
from common.contracts import GradingResult
from service.gradescope import to_gradescope


def gradescope_results(result: GradingResult, hidden: HiddenVisibility) -> dict:
    """Return results.json's content: service/gradescope.py's conversion, with hidden cases
    shown only as ``hidden`` says and run_autograder's stdout (our log) kept to staff."""
    converted = to_gradescope(result, hidden_visibility=hidden)
    converted.stdout_visibility = "hidden"
    return converted.model_dump(mode="json")
