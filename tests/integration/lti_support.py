"""Helpers of the LTI tests: a registered emulated platform and the login + launch steps
through a Flask test client (the browser test does the same in Chromium)."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlsplit

from lti_platform import Platform

from common.lti import registry

TOOL = "https://tool.test"  # the test client's base URL (cookies are Secure)


def register(client, platform: Platform, course: str | None = None) -> registry.Registration:
    """Register ``platform`` for a fresh course in the Redis of ``client``."""
    course = course or f"c-{secrets.token_hex(4)}"
    registration = registry.new_registration(**platform.registration_args(course))
    registry.save(client, registration)
    return registration


def login(app_client, platform: Platform, user: str, link: str) -> dict[str, str]:
    """Start the OIDC login at the tool; return the auth redirect's query parameters."""
    response = app_client.get(
        "/lti/login",
        base_url=TOOL,
        query_string={
            "iss": platform.issuer,
            "login_hint": user,
            "lti_message_hint": link,
            "target_link_uri": f"{TOOL}/lti/launch",
            "client_id": "tool-client-1",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{platform.url}/auth"
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def launch(app_client, token: str, state: str):
    """POST the id_token and state to /lti/launch, as the platform's form_post does."""
    return app_client.post("/lti/launch", base_url=TOOL, data={"id_token": token, "state": state})


def login_and_launch(app_client, platform: Platform, user: str, link: str, **overrides):
    """The whole launch of ``user`` into ``link`` with claim ``overrides``."""
    query = login(app_client, platform, user, link)
    token = platform.sign(platform.claims(user, link, query["nonce"], **overrides))
    return launch(app_client, token, query["state"]), token, query
