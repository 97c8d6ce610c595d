"""Helpers for the service's integration tests (imported by them, not collected)."""

from __future__ import annotations

from pathlib import Path

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
