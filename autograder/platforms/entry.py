"""Inside a platform's container: read the export's config, grade, write results.json.

Paths are the platforms' own (Gradescope: /autograder/{source,submission,results};
PrairieLearn: /grade/{tests,student,results}), under ``root`` (``/`` there; a temporary
folder in tests). Exit status 0 once results.json is written (whatever the score, a file
that cannot be run included); 1 when the grader failed on its side (no results.json:
both platforms then report a failed grading run to staff instead of charging the student).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from autograder.platforms.config import CONFIG_NAME, battery_digest, read_config
from autograder.platforms.grading import grade_folder
from common.contracts import GradingResult, GradingStatus


@dataclass(frozen=True)
class Layout:
    """Where a platform puts the export, the student's files and the results."""

    config: str
    submission: str
    results: str


LAYOUTS = {
    "gradescope": Layout(
        f"autograder/source/{CONFIG_NAME}", "autograder/submission", "autograder/results"
    ),
    "prairielearn": Layout(f"grade/tests/{CONFIG_NAME}", "grade/student", "grade/results"),
}


def grade_on_platform(platform: str, root: Path) -> int:
    """Grade the submission laid out for ``platform`` under ``root``; return the exit status."""
    from reference.packs import UnknownAssignmentError, get_pack

    layout = LAYOUTS[platform]
    try:
        config = read_config(root / layout.config)
        pack = get_pack(config.assignment)
    except (ValueError, UnknownAssignmentError) as exc:
        return grader_failed(f"the export is not usable here: {exc}")
    if config.battery != battery_digest(pack):
        return grader_failed(
            f"the export was made for another version of {pack.id} than this grader has: "
            "export it again from the grader's version"
        )
    from common.settings import Settings  # the one read of the environment here

    result = grade_folder(pack, root / layout.submission, config.sandbox, Settings())
    if result.status == GradingStatus.FAILED:
        error = result.error.message if result.error else "unknown"
        return grader_failed(f"grading failed on our side: {error}")
    write_results(root / layout.results, platform_results(platform, result, config))
    from worker.grading.report import render_report

    print(render_report(result), end="")  # the platform's log, for staff
    return 0


def platform_results(platform: str, result: GradingResult, config) -> dict:
    """The content of results.json for ``platform``."""
    if platform == "gradescope":
        from autograder.platforms.gradescope import gradescope_results

        return gradescope_results(result, config.hidden_visibility)
    from autograder.platforms.prairielearn import to_prairielearn

    return to_prairielearn(result)


def write_results(folder: Path, content: dict) -> None:
    """Write ``folder``/results.json (PrairieLearn does not make the folder)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")


def grader_failed(reason: str) -> int:
    """Report our own failure on stderr (staff see it) and return exit status 1."""
    print(f"autograder platform-grade: {reason}", file=sys.stderr)
    return 1
