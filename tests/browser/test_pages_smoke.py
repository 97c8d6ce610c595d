"""The page machinery in a real browser: error pages, and session cookies that Chromium
keeps (SameSite=None; Secure over http://127.0.0.1, as inside an LMS iframe)."""

from __future__ import annotations

import pytest
from browser_support import screenshot
from selenium.webdriver.common.by import By

from service.web.sessions import StaffIdentity, sign_in

pytestmark = pytest.mark.browser


def test_a_staff_page_without_a_session_is_an_html_error_page(live_app, chromium):
    server = live_app()
    chromium.get(f"{server.url}/staff/courses/CS101/assignments/lecture4-numpy")
    assert chromium.find_element(By.TAG_NAME, "h1").text == "Please sign in"
    assert "sign in as course staff" in chromium.find_element(By.ID, "main").text
    assert "Traceback" not in chromium.page_source
    screenshot(chromium, "error-page")


def test_chromium_keeps_the_secure_samesite_none_session_cookie(live_app, chromium):
    server = live_app()
    app = server.server.app

    @app.get("/staff/test-sign-in")
    def _sign_in():  # a test-only route: the real sign-ins are the key form and LTI
        sign_in(StaffIdentity(course="CS101", name="ta-test", via="key"))
        return "signed in"

    chromium.get(f"{server.url}/staff/test-sign-in")
    cookie = chromium.get_cookie("autograder_session")
    assert cookie is not None and cookie["secure"] and cookie["sameSite"] == "None"
    assert cookie["httpOnly"]
    chromium.get(f"{server.url}/staff/courses/CS101/assignments/lecture4-numpy")
    assert chromium.find_element(By.ID, "submissions")
    assert "ta-test" in chromium.find_element(By.CLASS_NAME, "who").text
    chromium.get(f"{server.url}/staff/courses/OTHER/assignments/lecture4-numpy")
    assert "signed in as staff of 'CS101' only" in chromium.page_source
