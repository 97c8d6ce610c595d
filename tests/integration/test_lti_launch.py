"""LTI 1.3 login and launch against the emulated platform (tests/lti_platform.py), with
the Flask test client: the login redirect, every refusal of a bad launch (an HTML page,
4xx, nothing stored), roles, deep linking and the tool's key set."""

from __future__ import annotations

import html
import time

import jwt
import pytest
from lti_platform import INSTRUCTOR_ROLES, Link, Platform, SigningKey
from lti_support import TOOL, launch, login, login_and_launch, register

from common.lti import claims as c
from common.lti import toolkeys
from common.lti.launches import load_launch, student_id_for
from common.records import KEYS
from service.lti import platform_keys


@pytest.fixture(scope="module")
def platform():
    with Platform() as emulator:
        emulator.tool_launch_url = f"{TOOL}/lti/launch"
        emulator.add_user("alice")
        emulator.add_user("prof", INSTRUCTOR_ROLES, "Prof Ada")
        emulator.add_link(Link("link-numpy", {"assignment": "lecture4-numpy"}))
        emulator.add_link(Link("link-none", {}))
        emulator.add_link(Link("link-dl", {}, message_type=c.DEEP_LINKING_REQUEST))
        yield emulator


@pytest.fixture
def tool(make_client, redis_server, catalog, platform):
    """A test client of the tool with ``platform`` registered for a fresh course."""
    client = make_client(callback_allow_private=True, rate_limits_enabled=False)
    registration = register(redis_server.client(), platform)
    return client, registration


def test_login_redirects_to_the_platform_with_every_oidc_parameter(tool, platform):
    client, registration = tool
    query = login(client, platform, "alice", "link-numpy")
    assert query["scope"] == "openid" and query["response_type"] == "id_token"
    assert query["response_mode"] == "form_post" and query["prompt"] == "none"
    assert query["client_id"] == registration.client_id
    assert query["redirect_uri"] == f"{TOOL}/lti/launch"
    assert query["login_hint"] == "alice" and query["lti_message_hint"] == "link-numpy"
    assert len(query["state"]) > 20 and len(query["nonce"]) > 20
    cookie = client.get_cookie("autograder_lti_state", domain="tool.test", path="/lti/")
    assert cookie is not None and cookie.value == query["state"]
    assert cookie.secure and cookie.http_only and cookie.same_site == "None"


def test_login_of_an_unregistered_issuer_is_refused_with_a_page(tool):
    client, _ = tool
    response = client.get(
        "/lti/login",
        base_url=TOOL,
        query_string={"iss": "https://nowhere.example", "login_hint": "x", "target_link_uri": "y"},
    )
    assert response.status_code == 403 and response.mimetype == "text/html"
    assert "no platform is registered" in response.get_data(as_text=True)


def test_login_whose_target_is_another_site_is_refused(tool, platform):
    client, registration = tool
    response = client.get(
        "/lti/login",
        base_url=TOOL,
        query_string={
            "iss": registration.issuer,
            "client_id": registration.client_id,
            "login_hint": "alice",
            "target_link_uri": "https://attacker.example/lti/launch",
        },
    )
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "not a URL of this tool" in response.get_data(as_text=True)
    assert "Location" not in response.headers


def test_a_student_launch_signs_in_and_opens_the_student_page(tool, platform, redis_server):
    client, registration = tool
    response, _, _ = login_and_launch(client, platform, "alice", "link-numpy")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/student/")
    student_id = student_id_for(platform.issuer, "user-alice")
    context = load_launch(redis_server.client(), registration.course, "lecture4-numpy", student_id)
    assert context is not None and context.sub == "user-alice"
    assert context.lineitem == f"{platform.url}/lineitems/1"
    page = client.get("/student/", base_url=TOOL)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Alice" in text and 'name="file"' in text and "Starter .ipynb" in text


def test_the_student_id_is_stable_across_launches(tool, platform):
    client, _ = tool
    first = student_id_for(platform.issuer, "user-alice")
    login_and_launch(client, platform, "alice", "link-numpy")
    login_and_launch(client, platform, "alice", "link-numpy")
    assert student_id_for(platform.issuer, "user-alice") == first
    assert first.startswith("lti.") and "alice" not in first


def test_an_instructor_launch_opens_the_staff_list(tool, platform):
    client, registration = tool
    response, _, _ = login_and_launch(client, platform, "prof", "link-numpy")
    assert response.status_code == 302
    path = f"/staff/courses/{registration.course}/assignments/lecture4-numpy"
    assert response.headers["Location"].endswith(path)
    page = client.get(path, base_url=TOOL)
    assert page.status_code == 200 and 'id="submissions"' in page.get_data(as_text=True)


def _expired(platform: Platform, nonce: str) -> dict:
    now = int(time.time())
    return platform.claims("alice", "link-numpy", nonce, iat=now - 3600, exp=now - 1800)


BAD_LAUNCHES = {
    "wrong audience": (lambda p, n: p.claims("alice", "link-numpy", n, aud="someone-else"), 403),
    "expired": (_expired, 400),
    "unknown deployment": (
        lambda p, n: p.claims("alice", "link-numpy", n, **{c.DEPLOYMENT_ID: "dep-x"}),
        403,
    ),
    "wrong version": (lambda p, n: p.claims("alice", "link-numpy", n, **{c.VERSION: "1.1"}), 400),
    "unknown message type": (
        lambda p, n: p.claims("alice", "link-numpy", n, **{c.MESSAGE_TYPE: "LtiFooRequest"}),
        400,
    ),
    "missing assignment": (lambda p, n: p.claims("alice", "link-none", n), 400),
    "unknown assignment": (
        lambda p, n: p.claims("alice", "link-numpy", n, **{c.CUSTOM: {"assignment": "nope"}}),
        400,
    ),
    "other nonce": (lambda p, n: p.claims("alice", "link-numpy", "not-the-login-nonce"), 400),
}
SENTENCES = {
    "wrong audience": "no platform is registered",
    "expired": "has expired",
    "unknown deployment": "deployment 'dep-x'",
    "wrong version": "LTI version '1.1' is not supported",
    "unknown message type": "message type 'LtiFooRequest' is not supported",
    "missing assignment": "names no assignment",
    "unknown assignment": "there is no assignment 'nope'",
    "other nonce": "does not belong to this login",
}


@pytest.mark.parametrize("case", sorted(BAD_LAUNCHES))
def test_a_bad_launch_is_refused_with_a_page_and_nothing_stored(tool, platform, redis_server, case):
    client, registration = tool
    build, status = BAD_LAUNCHES[case]
    query = login(client, platform, "alice", "link-numpy")
    response = launch(client, platform.sign(build(platform, query["nonce"])), query["state"])
    text = html.unescape(response.get_data(as_text=True))
    assert response.status_code == status and response.mimetype == "text/html"
    assert SENTENCES[case] in text and "Traceback" not in text
    assert client.get("/student/", base_url=TOOL).status_code == 401  # nobody signed in
    stored = redis_server.client().keys(KEYS.lti_launch(registration.course, "*", "*"))
    assert stored == []


def test_a_token_signed_by_another_key_is_refused(tool, platform):
    client, _ = tool
    query = login(client, platform, "alice", "link-numpy")
    forged = SigningKey.new()
    forged.kid = platform.keys[-1].kid  # same kid, other key: the signature cannot verify
    token = platform.sign(platform.claims("alice", "link-numpy", query["nonce"]), forged)
    response = launch(client, token, query["state"])
    assert response.status_code == 400
    assert "signature does not verify" in response.get_data(as_text=True)


def test_a_replayed_id_token_is_refused(tool, platform):
    client, _ = tool
    first, token, query = login_and_launch(client, platform, "alice", "link-numpy")
    assert first.status_code == 302
    again = launch(client, token, query["state"])
    assert again.status_code == 400
    assert "already used" in again.get_data(as_text=True)


def test_a_state_from_another_browser_is_refused(tool, platform, make_client):
    client, _ = tool
    query = login(client, platform, "alice", "link-numpy")
    token = platform.sign(platform.claims("alice", "link-numpy", query["nonce"]))
    other_browser = make_client(callback_allow_private=True, rate_limits_enabled=False)
    response = launch(other_browser, token, query["state"])
    assert response.status_code == 400
    assert "does not match this browser" in response.get_data(as_text=True)
    other_query = login(other_browser, platform, "alice", "link-numpy")
    response = launch(client, token, other_query["state"])  # a state not of this browser
    assert "does not match this browser" in response.get_data(as_text=True)


def fresh_platform() -> Platform:
    """A platform of the test's own (its own JWKS URL, so its own key cache at the tool)."""
    platform = Platform()
    platform.tool_launch_url = f"{TOOL}/lti/launch"
    platform.add_user("alice")
    platform.add_link(Link("link-numpy", {"assignment": "lecture4-numpy"}))
    return platform


def test_a_platform_key_rotation_is_followed_by_a_jwks_refetch(
    make_client, redis_server, catalog, monkeypatch
):
    monkeypatch.setattr(platform_keys, "REFETCH_COOLDOWN_S", 0.0)
    client = make_client(callback_allow_private=True, rate_limits_enabled=False)
    with fresh_platform() as platform:
        register(redis_server.client(), platform)
        assert login_and_launch(client, platform, "alice", "link-numpy")[0].status_code == 302
        hits = platform.jwks_hits
        assert login_and_launch(client, platform, "alice", "link-numpy")[0].status_code == 302
        assert platform.jwks_hits == hits  # cached
        platform.rotate_key(publish_old=False)
        assert login_and_launch(client, platform, "alice", "link-numpy")[0].status_code == 302
        assert platform.jwks_hits == hits + 1  # unknown kid: fetched again, then it verified


def test_a_private_jwks_url_is_refused_without_the_switch(make_client, redis_server, catalog):
    with fresh_platform() as emulator:
        client = make_client(callback_allow_private=False, rate_limits_enabled=False)
        register(redis_server.client(), emulator)
        response, _, _ = login_and_launch(client, emulator, "alice", "link-numpy")
    assert response.status_code == 400
    assert "key set URL is refused" in response.get_data(as_text=True)
    assert emulator.jwks_hits == 0


def test_deep_linking_answers_a_signed_resource_link_with_the_chosen_assignment(tool, platform):
    client, registration = tool
    response, _, _ = login_and_launch(
        client, platform, "prof", "link-dl", **{c.RESOURCE_LINK: None}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'value="lecture4-torch"' in page
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    answer = client.post(
        "/lti/deep-linking/respond",
        base_url=TOOL,
        data={"csrf_token": csrf, "assignment": "lecture4-torch"},
    )
    body = answer.get_data(as_text=True)
    assert answer.status_code == 200 and f'action="{platform.url}/deep-link-return"' in body
    token = body.split('name="JWT" value="')[1].split('"')[0]
    keys = client.get("/lti/jwks.json", base_url=TOOL).get_json()
    key = jwt.PyJWK(
        next(k for k in keys["keys"] if k["kid"] == jwt.get_unverified_header(token)["kid"])
    )
    claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=platform.issuer)
    assert claims["iss"] == registration.client_id
    assert claims[c.MESSAGE_TYPE] == "LtiDeepLinkingResponse"
    assert claims[c.DEPLOYMENT_ID] == registration.deployment_id
    assert claims[c.DL_DATA] == "opaque-platform-data"
    (item,) = claims[c.DL_CONTENT_ITEMS]
    assert item["type"] == "ltiResourceLink" and item["custom"] == {"assignment": "lecture4-torch"}
    assert item["url"] == f"{TOOL}/lti/launch"


def test_deep_linking_is_for_staff_only(tool, platform):
    client, _ = tool
    response, _, _ = login_and_launch(client, platform, "alice", "link-dl")
    assert response.status_code == 400
    assert "only instructors" in response.get_data(as_text=True)


def test_the_tool_jwks_keeps_a_rotated_key_for_a_while(tool, redis_server):
    client, _ = tool
    redis = redis_server.client()
    before = {k["kid"] for k in client.get("/lti/jwks.json", base_url=TOOL).get_json()["keys"]}
    old = toolkeys.current_key(redis)
    new = toolkeys.rotate(redis)
    published = {k["kid"] for k in client.get("/lti/jwks.json", base_url=TOOL).get_json()["keys"]}
    assert old.kid in before and {old.kid, new.kid} <= published
    assert toolkeys.current_key(redis).kid == new.kid
    later = new.created_at + toolkeys.RETIRED_KEPT * 2
    assert old.kid not in {k["kid"] for k in toolkeys.jwks(redis, later)["keys"]}


def test_the_config_json_and_setup_page_give_the_tool_urls(tool):
    client, _ = tool
    config = client.get("/lti/config", base_url=TOOL).get_json()
    assert config["login_url"] == f"{TOOL}/lti/login"
    assert config["jwks_url"] == f"{TOOL}/lti/jwks.json"
    assert config["canvas_developer_key"]["oidc_initiation_url"] == f"{TOOL}/lti/login"
    assert c.SCOPE_SCORE in config["canvas_developer_key"]["scopes"]
    assert config["moodle_tool_settings"]["Public keyset"] == f"{TOOL}/lti/jwks.json"
    page = client.get("/lti/setup", base_url=TOOL).get_data(as_text=True)
    assert f"{TOOL}/lti/login" in page and "Canvas" in page and "Moodle" in page
