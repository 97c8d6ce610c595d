"""The LTI 1.3 endpoints: /lti/login (OIDC login initiation), /lti/launch (the platform's
form_post of the id_token) and /lti/jwks.json (the tool's public keys).

/lti/login and /lti/launch are cross-site requests from the platform, so they carry no
CSRF token: the launch is protected by the state (bound to the browser by a cookie) and
the nonce (used once), see service/lti/oidc.py. A bad launch is an HTML page with one
sentence and a 4xx status; nothing is stored and no one is signed in.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, jsonify, redirect, request

from common.callback_urls import CallbackPolicy
from common.lti import claims as c
from common.lti import registry
from common.lti.toolkeys import jwks
from service.context import services
from service.errors import serve_pages
from service.lti import deep_linking, oidc
from service.lti.id_tokens import LaunchError, UnknownPlatformError, validated
from service.lti.resource_link import launch_resource_link
from service.lti.urls import is_ours

bp = serve_pages(Blueprint("lti", __name__, url_prefix="/lti"))


def platform_policy() -> CallbackPolicy:
    """The SSRF policy platform URLs are checked with (the callback settings)."""
    s = services().settings
    return CallbackPolicy.build(
        s.callback_allowed_hosts, s.callback_allow_private, s.callback_allowed_networks
    )


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Third-party initiated login: redirect to the platform's auth URL with state and nonce."""
    values = request.values
    issuer, hint, target = (
        values.get("iss"),
        values.get("login_hint"),
        values.get("target_link_uri"),
    )
    if not issuer or not hint or not target:
        raise LaunchError("a login needs iss, login_hint and target_link_uri")
    found = registry.find(services().redis, issuer, values.get("client_id"))
    deployment = values.get("lti_deployment_id")
    if deployment:
        found = [r for r in found if r.deployment_id == deployment]
    if not found:
        raise UnknownPlatformError(f"no platform is registered for issuer {issuer!r}")
    registration = found[0]
    if not is_ours(target):  # the platform posts the id_token there: it must be this tool
        raise LaunchError("target_link_uri is not a URL of this tool")
    state, nonce = oidc.begin(services().redis, registration.id)
    query = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": registration.client_id,
        "redirect_uri": target,
        "login_hint": hint,
        "state": state,
        "nonce": nonce,
    }
    if values.get("lti_message_hint"):
        query["lti_message_hint"] = values["lti_message_hint"]
    separator = "&" if "?" in registration.auth_url else "?"
    response = redirect(f"{registration.auth_url}{separator}{urlencode(query)}", code=302)
    oidc.bind_to_browser(response, state)
    return response


@bp.post("/launch")
def launch():
    """Validate the id_token, state and nonce; open the student page, staff page or picker."""
    token = request.form.get("id_token")
    if not token:
        raise LaunchError("the launch carries no id_token")
    client = services().redis
    registration, claims = validated(client, token, platform_policy())
    oidc.check_unused(client, registration.issuer, claims["nonce"])
    oidc.finish(client, registration.id, registration.issuer, claims["nonce"])
    if claims[c.MESSAGE_TYPE] == c.DEEP_LINKING_REQUEST:
        return deep_linking.start(registration, claims)
    return launch_resource_link(registration, claims)


@bp.get("/jwks.json")
def jwks_json():
    """The tool's public keys (current and recently retired), for platforms to verify."""
    response = jsonify(jwks(services().redis))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
