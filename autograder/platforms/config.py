"""What an export tells the grader inside a platform: the assignment and how to grade it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from reference.pack import Pack

CONFIG_NAME = "assignment.json"
SandboxMode = Literal["process", "bwrap", "auto"]
# Gradescope's visibilities that keep a test from students until staff allow it.
HiddenVisibility = Literal["after_due_date", "after_published", "hidden"]


class PlatformConfig(BaseModel):
    """The export's choices, written beside the grader (``assignment.json``)."""

    model_config = ConfigDict(extra="forbid")

    assignment: str = Field(description="The pack id, e.g. 'lecture4-numpy'.")
    sandbox: SandboxMode = Field(
        "process", description="Sandbox mode inside the platform's container (docs/platforms.md)."
    )
    hidden_visibility: HiddenVisibility = Field(
        "after_due_date", description="Gradescope: when students see the hidden cases."
    )
    battery: str = Field(description="Digest of the pack's functions, points and cases.")


def battery_digest(pack: Pack) -> str:
    """A short digest of what ``pack`` grades: functions and points, cases and visibility.

    The PrairieLearn question and the grading image are built apart; the grader compares
    the question's digest with its own pack's, so a stale question is never graded silently
    against another battery.
    """
    battery = {
        "functions": [[f.name, f.points] for f in pack.functions],
        "cases": [[c.name, c.function, c.visibility, c.weight] for c in pack.cases("cpu")],
    }
    text = json.dumps(battery, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def read_config(path: Path) -> PlatformConfig:
    """Read ``assignment.json`` (ValueError with a sentence if it is missing or invalid)."""
    try:
        return PlatformConfig.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise ValueError(f"{path} is not a valid assignment config: {exc}") from exc
