"""The staff pages' blueprint (``/staff``), shared by the modules that add its routes.

A session signed in with an API key is checked on every request: once the key is revoked
(or the env admin key unset) the session ends, whatever its cookie's age.
"""

from __future__ import annotations

from flask import Blueprint

from service.auth import key_exists
from service.errors import serve_pages
from service.web import protect_forms
from service.web.sessions import current_staff, sign_out

bp = protect_forms(serve_pages(Blueprint("staff", __name__, url_prefix="/staff")))


@bp.before_request
def _key_still_live() -> None:
    staff = current_staff()
    if staff is not None and staff.key_id is not None and not key_exists(staff.key_id):
        sign_out()
