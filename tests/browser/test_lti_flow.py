"""The whole LTI 1.3 flow in headless Chromium against the emulated platform
(tests/lti_platform.py) and a real worker: the student launches through the platform's
OIDC auth endpoint, downloads the starter files, uploads a buggy file and sees its
diagnosis appear without reloading, uploads a correct one, and the platform receives
100/100 through AGS. A replayed launch is refused; an instructor launch shows the staff
list. Screenshots of the student page at laptop and phone widths."""

from __future__ import annotations

import html
import json
import secrets

import pytest
from browser_support import (
    LAPTOP,
    PHONE,
    REPO,
    LiveServer,
    downloads_of,
    full_page_screenshot,
    start_chromium,
    wait_for,
)
from live_services import RedisServer, start_worker, stop_process, wait_until
from lti_platform import INSTRUCTOR_ROLES, Link, Platform
from selenium.webdriver.common.by import By

from common.lti import registry
from common.settings import Settings
from service import create_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]
FIXTURES = REPO / "tests" / "fixtures" / "submissions"
WAIT_S = 90  # upper bounds for grading and delivery, not timing assertions
ENV = {"AUTOGRADER_CALLBACK_ALLOW_PRIVATE": "true", "AUTOGRADER_CALLBACK_BASE_DELAY_S": "0.05"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """Redis, a real worker that may reach the platform on 127.0.0.1, and the tool."""
    folder = tmp_path_factory.mktemp("lti-browser")
    redis_server = RedisServer(folder / "redis").start()
    worker = start_worker(
        redis_server.url, folder / "worker.log", f"ltib-{secrets.token_hex(3)}@%h", **ENV
    )
    settings = Settings(redis_url=redis_server.url, callback_allow_private=True)
    with LiveServer(create_app(settings)) as tool, Platform() as platform:
        platform.tool_launch_url = f"{tool.url}/lti/launch"
        platform.tool_jwks_url = f"{tool.url}/lti/jwks.json"
        platform.add_user("alice", name="Alice Liddell")
        platform.add_user("prof", INSTRUCTOR_ROLES, "Prof Ada")
        platform.add_link(Link("week4", {"assignment": "lecture4-numpy"}))
        registry.save(
            redis_server.client(), registry.new_registration(**platform.registration_args("CS101"))
        )
        yield tool, platform
    stop_process(worker)
    redis_server.stop()


def _text(driver, css: str) -> str:
    """The text of ``css`` now ('' while the page is between loads: no stale elements)."""
    script = "var e = document.querySelector(arguments[0]); return e ? e.innerText : '';"
    return driver.execute_script(script, css) or ""


def _upload(driver, fixture: str) -> None:
    driver.find_element(By.CSS_SELECTOR, "input[type=file][name=file]").send_keys(
        str(FIXTURES / fixture)
    )
    driver.find_element(By.CSS_SELECTOR, "#upload button[type=submit]").click()
    wait_for(driver, lambda d: fixture in _text(d, "#history"))
    driver.execute_script("window.notReloaded = true;")  # gone if the page reloads


def _graded(driver, fixture: str):
    def check(d):
        latest = _text(d, "#latest")
        return fixture in latest and "Score:" in latest

    return check


def test_a_student_launches_uploads_and_the_grade_reaches_the_lms(stack, tmp_path):
    tool, platform = stack
    profile = tmp_path / "profile"
    driver = start_chromium(profile, LAPTOP)
    try:
        driver.get(platform.start_url(f"{tool.url}/lti/login", "alice", "week4"))
        wait_for(driver, lambda d: d.current_url == f"{tool.url}/student/")
        assert "Alice Liddell" in _text(driver, ".who")
        assert "lecture4-numpy" in _text(driver, "h1")
        # Chromium holds a .py download for a "keep this file?" prompt; DevTools allows it.
        driver.execute_cdp_cmd(
            "Browser.setDownloadBehavior",
            {"behavior": "allow", "downloadPath": str(downloads_of(profile))},
        )
        for link in driver.find_elements(By.CSS_SELECTOR, ".downloads a"):
            link.click()
        names = {"lecture4-numpy.py", "lecture4-numpy.ipynb"}
        wait_for(driver, lambda d: names <= {p.name for p in downloads_of(profile).iterdir()})
        notebook = json.loads((downloads_of(profile) / "lecture4-numpy.ipynb").read_text())
        assert notebook["nbformat"] == 4
        assert "def softmax" in (downloads_of(profile) / "lecture4-numpy.py").read_text()

        _upload(driver, "numpy_overflow_softmax.py")
        wait_for(driver, _graded(driver, "numpy_overflow_softmax.py"), WAIT_S)
        assert driver.execute_script("return window.notReloaded === true")  # live, no reload
        assert "subtract the row maximum" in _text(driver, "#latest")
        full_page_screenshot(driver, "student-page-laptop", LAPTOP[0])
        driver.set_window_size(*PHONE)
        full_page_screenshot(driver, "student-page-phone", PHONE[0])
        driver.set_window_size(*LAPTOP)

        _upload(driver, "numpy_correct.py")
        wait_for(driver, _graded(driver, "numpy_correct.py"), WAIT_S)
        assert "100 / 100" in _text(driver, "#latest .total")
        rows = driver.find_elements(By.CSS_SELECTOR, "#history tbody tr")
        assert len(rows) == 2

        def full_marks():
            return [s for s in platform.got.scores if s["body"]["scoreGiven"] == 100.0] or None

        (score,) = wait_until(full_marks, WAIT_S, "100/100 at the platform")
        assert score["body"]["scoreMaximum"] == 100.0 and score["body"]["userId"] == "user-alice"

        token, state, uri = platform.got.id_tokens[0]  # the first launch, posted again
        driver.execute_script(
            "var f = document.createElement('form'); f.method = 'post'; f.action = arguments[0];"
            "[['id_token', arguments[1]], ['state', arguments[2]]].forEach(function (p) {"
            "  var i = document.createElement('input'); i.type = 'hidden'; i.name = p[0];"
            "  i.value = p[1]; f.appendChild(i); });"
            "document.body.appendChild(f); f.submit();",
            uri,
            token,
            state,
        )
        wait_for(driver, lambda d: "already used" in html.unescape(d.page_source))
        assert _text(driver, "h1") == "This launch cannot be accepted"

        driver.get(platform.start_url(f"{tool.url}/lti/login", "prof", "week4"))
        wait_for(driver, lambda d: d.find_elements(By.ID, "submissions"))
        assert "/staff/courses/CS101/assignments/lecture4-numpy" in driver.current_url
        assert (
            len(driver.find_elements(By.CSS_SELECTOR, "#submissions tr[data-student^='lti.']")) == 2
        )
    finally:
        driver.quit()
