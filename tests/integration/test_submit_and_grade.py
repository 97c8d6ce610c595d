"""Submit over HTTP, get the graded result back: the real worker, pipeline and sandbox."""

from __future__ import annotations

import base64

import pytest
from service_support import FIXTURES, submit_file

from common.contracts import GradingResult

pytestmark = pytest.mark.usefixtures("celery_worker")


def test_correct_numpy_file_is_graded_with_full_marks(make_client, admin_auth):
    client = make_client()
    accepted = submit_file(client, admin_auth, FIXTURES / "numpy_correct.py", student_id="s-full")
    assert accepted.status_code == 202
    body = accepted.get_json()
    assert body["status"] == "queued"
    assert accepted.headers["Location"] == body["links"]["submission"]

    done = client.get(f"{body['links']['submission']}?wait=30", headers=admin_auth).get_json()

    assert done["status"] == "graded"
    result = GradingResult.model_validate(done["result"])
    assert result.score == result.max_score == 100
    assert all(test.passed for test in result.tests)
    assert done["attempts"] == 1
    assert done["received_at"] <= done["queued_at"] <= done["started_at"] <= done["finished_at"]


def test_starter_file_served_by_the_api_grades_zero_as_not_implemented(make_client, admin_auth):
    client = make_client()
    starter = client.get("/api/v1/assignments/lecture4-numpy/starter", headers=admin_auth)
    assert starter.status_code == 200
    accepted = client.post(
        "/api/v1/submissions",
        headers=admin_auth,
        json={"assignment": "lecture4-numpy", "source": starter.get_data(as_text=True)},
    )
    url = accepted.get_json()["links"]["submission"]

    done = client.get(f"{url}?wait=30", headers=admin_auth).get_json()

    assert done["status"] == "graded"
    assert done["score"] == 0 and done["max_score"] == 100
    assert {t["diagnosis"] for t in done["result"]["tests"]} == {"not_implemented"}


def test_notebook_sent_as_base64_json_is_graded(make_client, admin_auth):
    client = make_client()
    notebook = (FIXTURES / "numpy_correct.ipynb").read_bytes()
    accepted = client.post(
        "/api/v1/submissions",
        headers=admin_auth,
        json={
            "assignment": "lecture4-numpy",
            "notebook_base64": base64.b64encode(notebook).decode(),
        },
    )
    assert accepted.status_code == 202
    url = accepted.get_json()["links"]["submission"]

    done = client.get(f"{url}?wait=30", headers=admin_auth).get_json()

    assert (done["filename"], done["status"], done["score"]) == ("submission.ipynb", "graded", 100)


def test_file_with_a_syntax_error_is_not_gradable_with_the_line(make_client, admin_auth):
    client = make_client()
    accepted = submit_file(client, admin_auth, FIXTURES / "numpy_syntax_error.py")
    url = accepted.get_json()["links"]["submission"]

    done = client.get(f"{url}?wait=30", headers=admin_auth).get_json()

    assert done["status"] == "not_gradable"
    assert done["result"]["error"]["kind"] == "syntax_error"
    assert done["result"]["error"]["line"] is not None


def test_torch_file_is_routed_to_a_worker_and_graded(make_client, admin_auth):
    client = make_client()
    accepted = submit_file(
        client, admin_auth, FIXTURES / "torch_correct.py", assignment="lecture4-torch"
    )
    url = accepted.get_json()["links"]["submission"]

    done = client.get(f"{url}?wait=30", headers=admin_auth).get_json()

    assert (done["status"], done["score"], done["device"]) == ("graded", 100, "cpu")


def test_gradescope_result_lists_every_test_with_its_visibility(make_client, admin_auth):
    client = make_client()
    accepted = submit_file(client, admin_auth, FIXTURES / "numpy_overflow_softmax.py")
    links = accepted.get_json()["links"]
    done = client.get(f"{links['submission']}?wait=30", headers=admin_auth).get_json()

    gradescope = client.get(links["gradescope"], headers=admin_auth).get_json()

    assert gradescope["score"] == done["score"] < 100
    assert len(gradescope["tests"]) == len(done["result"]["tests"])
    assert {t["visibility"] for t in gradescope["tests"]} == {"visible", "after_published"}
    failed = [t for t in gradescope["tests"] if t["status"] == "failed"]
    assert failed and all(t["output"] for t in failed)


def test_lab01_is_listed_and_its_notebook_graded_by_variables_over_http(make_client, admin_auth):
    client = make_client()
    listed = client.get("/api/v1/assignments", headers=admin_auth).get_json()["items"]
    assert "lab01-cross-entropy" in {item["id"] for item in listed}
    detail = client.get("/api/v1/assignments/lab01-cross-entropy", headers=admin_auth).get_json()
    assert [f["name"] for f in detail["functions"]] == [
        "criterion",
        "labels",
        "scores",
        "average_loss",
    ]
    accepted = submit_file(
        client, admin_auth, FIXTURES / "lab01_loss_sum.py", assignment="lab01-cross-entropy"
    )
    links = accepted.get_json()["links"]

    done = client.get(f"{links['submission']}?wait=30", headers=admin_auth).get_json()

    assert (done["status"], done["score"], done["max_score"]) == ("graded", 70, 100)
    failed = [t for t in done["result"]["tests"] if not t["passed"]]
    assert [(t["function"], t["diagnosis"]) for t in failed] == [
        ("average_loss", "sum_instead_of_mean")
    ]
    gradescope = client.get(links["gradescope"], headers=admin_auth).get_json()
    assert gradescope["score"] == 70
    assert [t["max_score"] for t in gradescope["tests"]] == [15, 20, 15, 10, 10, 30]
