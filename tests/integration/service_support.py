"""Helpers for the service's integration tests (imported by them, not collected)."""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path

from common.records import SubmissionRecord, utcnow
from service.store import SubmissionStore

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "submissions"
PROBLEM = "application/problem+json"


def submit_file(client, headers, path: Path, assignment: str = "lecture4-numpy", **fields):
    """POST ``path`` as a multipart upload; return the test client's response."""
    data = {"assignment": assignment, **fields}
    with path.open("rb") as handle:
        data["file"] = (handle, path.name)
        return client.post("/api/v1/submissions", headers=headers, data=data)


def submit_text(client, headers, text: str = "x = 1\n", **fields):
    """POST a small .py file as JSON; return the response."""
    body = {"assignment": "lecture4-numpy", "source": text, **fields}
    return client.post("/api/v1/submissions", headers=headers, json=body)


def assert_problem(response, status: int, slug: str | None = None) -> dict:
    """Assert ``response`` is an RFC 9457 problem with ``status`` (and type slug); return it."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["instance"]
    if slug is not None:
        assert body["type"] == f"urn:autograder:problem:{slug}"
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def store_submission(
    client, source: str = "x = 1\n", received_at: datetime | None = None, **fields
) -> SubmissionRecord:
    """Store a queued submission as the API's intake does, without enqueueing it.

    ``fields`` override the record's (assignment lecture4-numpy, filename hw.py, a fresh
    id); ``received_at`` (default now) is also its ``queued_at``.
    """
    when = received_at or utcnow()
    record = SubmissionRecord(
        **{
            "id": secrets.token_urlsafe(18),
            "assignment": "lecture4-numpy",
            "filename": "hw.py",
            "sha256": "0" * 64,
            "received_at": when,
            "queued_at": when,
            **fields,
        }
    )
    SubmissionStore(client).create(record, source)
    return record
