"""What an LMS admin needs to register the tool: GET /lti/config (JSON) and GET /lti/setup
(the same as a page). Tool URLs, the public keys, the Canvas developer-key JSON and the
Moodle tool settings. All of it is public (no secrets): platforms fetch the JWKS anyway.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, jsonify, render_template

from common.lti import claims as c
from common.lti.toolkeys import jwks
from service.context import services
from service.errors import serve_pages
from service.lti.urls import tool_url

bp = serve_pages(Blueprint("lti_config", __name__, url_prefix="/lti"))
TITLE = "Autograder"
DESCRIPTION = "Grades NumPy and PyTorch programming assignments, with feedback per function."


def tool_config() -> dict[str, Any]:
    """Return the tool's registration data for LMS admins."""
    login, launch, keys = tool_url("lti.login"), tool_url("lti.launch"), tool_url("lti.jwks_json")
    placements = [
        {"placement": p, "message_type": c.DEEP_LINKING_REQUEST, "target_link_uri": launch}
        for p in ("assignment_selection", "link_selection")
    ]
    return {
        "title": TITLE,
        "login_url": login,
        "launch_url": launch,
        "redirect_uris": [launch],
        "deep_linking_url": launch,
        "jwks_url": keys,
        "public_keys": jwks(services().redis),
        "custom_parameters": {"assignment": "the assignment id, e.g. lecture4-numpy"},
        "canvas_developer_key": {
            "title": TITLE,
            "description": DESCRIPTION,
            "oidc_initiation_url": login,
            "target_link_uri": launch,
            "public_jwk_url": keys,
            "scopes": [c.SCOPE_LINEITEM, c.SCOPE_LINEITEM_READONLY, c.SCOPE_SCORE],
            "extensions": [
                {
                    "platform": "canvas.instructure.com",
                    "privacy_level": "public",
                    "settings": {"placements": placements},
                }
            ],
        },
        "moodle_tool_settings": {
            "Tool URL": launch,
            "LTI version": "LTI 1.3",
            "Public key type": "Keyset URL",
            "Public keyset": keys,
            "Initiate login URL": login,
            "Redirection URI(s)": launch,
            "Supports Deep Linking (Content-Item Message)": "Yes",
            "Content Selection URL": launch,
            "IMS LTI Assignment and Grade Services": "Use this service for grade sync and "
            "column management",
            "Share launcher's name with tool": "Always",
        },
    }


@bp.get("/config")
def config_json():
    """The registration data as JSON."""
    return jsonify(tool_config())


@bp.get("/setup")
def setup_page():
    """The registration data as a page for LMS admins."""
    config = tool_config()
    return render_template(
        "lti_setup.html",
        config=config,
        canvas_json=json.dumps(config["canvas_developer_key"], indent=2),
        keys_json=json.dumps(config["public_keys"], indent=2),
    )
