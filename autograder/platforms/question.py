"""Write a PrairieLearn question folder that our grading image grades.

``info.json`` (external grading: image, entrypoint, timeout), ``question.html`` (the
task, the starter file to download, a file upload, the grader's results),
``tests/assignment.json`` (the pack and its battery digest, read by the image from
``/grade/tests``) and ``clientFilesQuestion/<id>.py`` (the starter).
"""

from __future__ import annotations

import html
import json
import uuid
from pathlib import Path

from autograder.platforms.config import CONFIG_NAME, PlatformConfig, battery_digest
from reference.pack import Pack

ENTRYPOINT = "/opt/venv/bin/autograder platform-grade prairielearn"
MAX_TIMEOUT_S = 600  # PrairieLearn's ceiling
START_S = 60  # the image's interpreter, torch and the sandbox's zygote start within this

QUESTION_HTML = """<pl-question-panel>
  <p><strong>{title}</strong></p>
  <p>Download the starter file
    <a href="{{{{options.client_files_question_url}}}}/{file}" download>{file}</a>,
    write the functions it lists ({functions}), and upload it here. Each function is worth
    the points shown; a bug costs the points of that function only.</p>
  <pl-file-upload file-names="{file}"></pl-file-upload>
</pl-question-panel>

<pl-submission-panel>
  <pl-external-grader-results></pl-external-grader-results>
  <pl-file-preview></pl-file-preview>
</pl-submission-panel>
"""


def question_timeout_s(pack: Pack, submission_s: float) -> int:
    """Grading's wall-clock budget plus start-up, within PrairieLearn's 600 s ceiling."""
    budget = pack.limits.submission_s if pack.limits.submission_s is not None else submission_s
    return int(min(MAX_TIMEOUT_S, budget + START_S))


def write_question(pack: Pack, out: Path, image: str, timeout_s: int) -> list[Path]:
    """Write the question folder for ``pack`` at ``out``; return the files written."""
    from worker.grading.starter import starter_py

    config = PlatformConfig(assignment=pack.id, battery=battery_digest(pack))
    info = {
        "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"autograder:{pack.id}")),
        "title": pack.title,
        "topic": "Autograded code",
        "tags": ["autograder", pack.id],
        "type": "v3",
        "singleVariant": True,
        "gradingMethod": "External",
        "externalGradingOptions": {
            "enabled": True,
            "image": image,
            "entrypoint": ENTRYPOINT,
            "timeout": timeout_s,
        },
    }
    functions = ", ".join(
        f"<code>{html.escape(f.name)}</code> ({f.points:g} points)" for f in pack.functions
    )
    page = QUESTION_HTML.format(
        title=html.escape(pack.title), file=f"{pack.id}.py", functions=functions
    )
    config_json = config.model_dump_json(indent=2, exclude={"hidden_visibility"}) + "\n"
    written = {
        out / "info.json": json.dumps(info, indent=2) + "\n",
        out / "question.html": page,
        out / "tests" / CONFIG_NAME: config_json,
        out / "clientFilesQuestion" / f"{pack.id}.py": starter_py(pack),
    }
    for path, text in written.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(written)
