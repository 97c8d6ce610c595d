"""Deep linking: an instructor picks an assignment in the LMS's editor and the tool
answers with a signed LtiDeepLinkingResponse holding one ltiResourceLink content item
whose custom parameter ``assignment`` names the pick.

The launch (a staff role is required) signs the instructor in and keeps the request's
return URL and ``data`` in the session; the pick is a CSRF-protected form; the answer is
a JWT signed with the tool's current key, posted back to the platform by the browser.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import jwt
from flask import Blueprint, render_template, request, session

from common.lti import claims as c
from common.lti.registry import Registration
from common.lti.toolkeys import ALGORITHM, current_key
from common.records import utcnow
from service.context import services
from service.errors import serve_pages
from service.lti.id_tokens import LaunchError
from service.lti.urls import tool_url
from service.web import protect_forms
from service.web.sessions import StaffIdentity, require_staff, sign_in

bp = protect_forms(
    serve_pages(Blueprint("lti_deep_linking", __name__, url_prefix="/lti/deep-linking"))
)
SESSION_KEY = "lti_deep_linking"
RESPONSE_TTL = timedelta(minutes=5)


def start(registration: Registration, claims: dict[str, Any]):
    """Show the picker for a deep-linking request (staff only)."""
    settings = claims.get(c.DEEP_LINKING) or {}
    return_url = settings.get("deep_link_return_url") if isinstance(settings, dict) else None
    if not isinstance(return_url, str) or not return_url.startswith(("https://", "http://")):
        raise LaunchError("the deep-linking request has no deep_link_return_url")
    if not c.is_staff(claims.get(c.ROLES)):
        raise LaunchError("only instructors and teaching assistants may add assignments")
    sign_in(
        StaffIdentity(
            course=registration.course, name=str(claims.get("name") or "LMS staff"), via="lti"
        )
    )
    session[SESSION_KEY] = {
        "registration": registration.model_dump(mode="json"),
        "return_url": return_url,
        "data": settings.get("data"),
    }
    return render_template(
        "lti_deep_linking.html",
        who=session["who"]["name"],
        assignments=services().store.assignments(),
    )


@bp.post("/respond")
def respond():
    """Sign the content item of the chosen assignment and post it back to the platform."""
    request_data = session.get(SESSION_KEY)
    if not request_data:
        raise LaunchError("no deep-linking request is open; start again from the LMS")
    registration = Registration.model_validate(request_data["registration"])
    require_staff(registration.course)
    info = services().store.assignment(request.form.get("assignment", ""))
    if info is None:
        raise LaunchError("choose one of the listed assignments")
    item = {
        "type": "ltiResourceLink",
        "title": info.title,
        "url": tool_url("lti.launch"),
        "custom": {"assignment": info.id},
        "lineItem": {"scoreMaximum": info.max_score, "label": info.title, "resourceId": info.id},
    }
    token = response_jwt(registration, [item], request_data.get("data"))
    session.pop(SESSION_KEY, None)
    return render_template(
        "lti_autopost.html", action=request_data["return_url"], field="JWT", value=token
    )


def response_jwt(registration: Registration, items: list[dict[str, Any]], data: Any | None) -> str:
    """Return the signed LtiDeepLinkingResponse carrying ``items``."""
    now = utcnow()
    payload: dict[str, Any] = {
        "iss": registration.client_id,
        "aud": registration.issuer,
        "iat": int(now.timestamp()),
        "exp": int((now + RESPONSE_TTL).timestamp()),
        "nonce": secrets.token_urlsafe(16),
        c.MESSAGE_TYPE: c.DEEP_LINKING_RESPONSE,
        c.VERSION: c.LTI_VERSION,
        c.DEPLOYMENT_ID: registration.deployment_id,
        c.DL_CONTENT_ITEMS: items,
    }
    if data is not None:
        payload[c.DL_DATA] = data
    key = current_key(services().redis)
    return jwt.encode(payload, key.private_pem, algorithm=ALGORITHM, headers={"kid": key.kid})
