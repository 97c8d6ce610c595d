"""What the web side knows of an assignment, without importing its pack.

Each worker builds one :class:`AssignmentInfo` per pack at start (worker/catalog_publisher.py) and
publishes it to Redis; the service validates submissions and serves /assignments from it.
Only what a student may see is here: visible cases by name and description, never inputs.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class FunctionInfo(BaseModel):
    """A function the student writes."""

    name: str
    points: float
    signature: str = Field(description="e.g. 'softmax(scores)'.")
    docstring: str


class CaseInfo(BaseModel):
    """A visible test case: its name, the function it tests, and its inputs in words."""

    name: str
    function: str
    describe: str


class AssignmentSummary(BaseModel):
    """An assignment as listed by GET /assignments."""

    id: str
    title: str
    runtime: Literal["numpy", "torch"]
    devices: list[Literal["cpu", "cuda"]]
    max_score: float


class AssignmentInfo(AssignmentSummary):
    """An assignment with its functions, visible cases and starter files."""

    functions: list[FunctionInfo]
    visible_cases: list[CaseInfo]
    starter_py: str = Field(description="The starter .py file's text.")
    starter_ipynb: str = Field(description="The starter notebook's JSON text (nbformat 4).")

    def summary(self) -> AssignmentSummary:
        """Return the listing fields only."""
        return AssignmentSummary.model_validate(
            self.model_dump(include=set(AssignmentSummary.model_fields))
        )
