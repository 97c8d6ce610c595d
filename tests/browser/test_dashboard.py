"""The staff dashboard in headless Chromium, on a real worker: a TA signs in with a staff
key, sees the class's histogram with the right counts, follows the most common mistake to
exactly the students who make it, regrades everything and sees the same scores after."""

from __future__ import annotations

import secrets

import pytest
from browser_support import LAPTOP, REPO, full_page_screenshot, screenshot, wait_for
from selenium.webdriver.common.by import By

from common.records import KEYS
from service.keys import KeyStore
from service.store import SubmissionStore

pytestmark = [pytest.mark.browser, pytest.mark.slow]
FIXTURES = REPO / "tests" / "fixtures" / "submissions"
CLASS = {  # student -> the file they hand in
    "ada": "numpy_correct.py",
    "ben": "numpy_overflow_softmax.py",
    "cleo": "numpy_overflow_softmax.py",
    "dev": "numpy_missing_1_over_n.py",
    "eve": "numpy_syntax_error.py",
}
OVERFLOWING = {"ben", "cleo"}


def seed(app, course: str, key: str, redis) -> dict[str, float]:
    """Submit the class's files through the API, wait for the worker; return the scores."""
    client, headers = app.test_client(), {"Authorization": f"Bearer {key}"}
    ids = {}
    for student, name in CLASS.items():
        body = {"assignment": "lecture4-numpy", "course": course, "student_id": student}
        body |= {"source": (FIXTURES / name).read_text(), "filename": name}
        answer = client.post("/api/v1/submissions", headers=headers, json=body)
        assert answer.status_code == 202, answer.text
        ids[student] = answer.get_json()["id"]
    store = SubmissionStore(redis)
    records = {s: store.wait_finished(i, 120) for s, i in ids.items()}
    assert all(r.status in ("graded", "not_gradable") for r in records.values()), records
    return {s: r.score for s, r in records.items()}


def bins_by_hand(scores: dict[str, float], max_score: float) -> list[int]:
    """Ten equal bins over [0, max_score], the last closed (docs/dashboard.md)."""
    counts = [0] * 10
    for score in scores.values():
        counts[min(9, int(score * 10 / max_score))] += 1
    return counts


def table_scores(driver) -> dict[str, str]:
    rows = driver.find_elements(By.CSS_SELECTOR, "#submissions tr[data-student]")
    return {row.get_attribute("data-student"): row.get_attribute("data-score") for row in rows}


def test_a_ta_reads_the_class_follows_the_top_mistake_and_regrades_all(
    celery_worker, live_app, chromium, redis_server
):
    server, redis = live_app(), redis_server.client()
    course = f"dash-{secrets.token_hex(3)}"
    key, _ = KeyStore(redis).create("admin", course, name="TA Tess")
    scores = seed(server.server.app, course, key, redis)
    max_score = SubmissionStore(redis).assignment("lecture4-numpy").max_score

    chromium.get(f"{server.url}/staff/login")
    chromium.find_element(By.ID, "key").send_keys(key)
    chromium.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_for(chromium, lambda d: d.find_elements(By.ID, "courses"))
    chromium.find_element(By.LINK_TEXT, course).click()
    chromium.find_element(By.CSS_SELECTOR, "tr[data-assignment='lecture4-numpy'] a").click()
    dashboard = chromium.current_url

    bars = chromium.find_elements(By.CSS_SELECTOR, "#histogram g.bar")
    assert [int(b.get_attribute("data-count")) for b in bars] == bins_by_hand(scores, max_score)
    assert chromium.find_element(By.CSS_SELECTOR, "[data-stat=students]").text == "5"
    top = chromium.find_element(By.CSS_SELECTOR, "#diagnoses li")
    assert top.get_attribute("data-diagnosis") == "softmax:no_max_subtraction"
    assert "40 % of students" in top.text  # 2 of 5
    full_page_screenshot(chromium, "dashboard-laptop", LAPTOP[0])

    top.find_element(By.TAG_NAME, "a").click()
    wait_for(chromium, lambda d: d.find_elements(By.ID, "diagnosis-filter"))
    assert set(table_scores(chromium)) == OVERFLOWING

    chromium.get(dashboard)
    before = table_scores(chromium)
    assert before == {s: f"{score}" for s, score in scores.items()}
    chromium.find_element(By.ID, "regrade-all").click()
    status = wait_for(chromium, lambda d: d.find_element(By.ID, "regrade-status"))
    wait_for(chromium, lambda d: status.get_attribute("data-state") == "done", timeout_s=300)
    assert status.text.startswith("Regrade finished: 5 of 5 submissions, 0 scores changed")
    screenshot(chromium, "dashboard-regraded")
    chromium.get(dashboard)
    assert table_scores(chromium) == before
    regraded = [
        redis.hget(KEYS.submission(i), "regraded_at")
        for i in redis.zrange(KEYS.index_course(course), 0, -1)
    ]
    assert len(regraded) == 5 and all(regraded)

    chromium.find_element(By.CSS_SELECTOR, "#submissions tr[data-student=ben] a").click()
    wait_for(chromium, lambda d: d.find_elements(By.ID, "regrade-one"))
    assert "subtract the row maximum" in chromium.find_element(By.ID, "main").text
    full_page_screenshot(chromium, "staff-submission", LAPTOP[0])
