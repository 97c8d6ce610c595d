"""Staff pages of a course (TAs and instructors), under ``/staff``: sign-in with a staff API
key, the courses and their assignments. The assignment dashboard, the submission page and
the settings form are in ``staff_*.py`` beside this one, on the same blueprint.

Staff of a course hold an admin key scoped to it (``--role admin --course C``; '*': every
course), or arrive through an LTI launch with a staff role (service.web.sessions).
Integration keys belong to an LMS or a script and cannot sign in.
"""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from common.records import KEYS
from service.auth import key_of
from service.context import services
from service.web import staff_dashboard, staff_settings, staff_submission  # noqa: F401 (routes)
from service.web.sessions import StaffIdentity, current_staff, require_staff, sign_in, sign_out
from service.web.staff_bp import bp

__all__ = ["bp"]


@bp.route("/login", methods=["GET", "POST"])
def login():
    """A form: a staff API key in, a session out (then the courses page)."""
    if request.method == "GET":
        return render_template("staff_login.html", error=None)
    key = key_of(request.form.get("key", "").strip())
    if key is None or key.role != "admin":
        error = (
            "This key is not a staff key: integration keys are for an LMS or a script."
            if key is not None
            else "This key is not known (revoked, or mistyped)."
        )
        return render_template("staff_login.html", error=error), 401
    name = key.name or f"key {key.id}"
    sign_in(StaffIdentity(course=key.course, name=name, via="key", key_id=key.id))
    return redirect(url_for("staff.courses"))


@bp.post("/logout")
def logout():
    """End the session."""
    sign_out()
    return redirect(url_for("staff.login"))


def known_courses() -> list[str]:
    """Every course with submissions or assignment settings, sorted."""
    client = services().redis
    by_index, by_settings = KEYS.index_course(""), KEYS.assignment_settings("", "")[:-1]
    found = {key[len(by_index) :] for key in client.scan_iter(match=f"{by_index}*", count=500)}
    for key in client.scan_iter(match=f"{by_settings}*", count=500):
        found.add(key[len(by_settings) :].split(":", 1)[0])  # course ids hold no ':'
    return sorted(found)


@bp.get("/")
def courses():
    """The courses this staff member sees (an admin: all with submissions or settings)."""
    staff = current_staff()
    if staff is None:
        return redirect(url_for("staff.login"))
    mine = known_courses() if staff.course == "*" else [staff.course]
    return render_template("staff_courses.html", who=staff.name, courses=mine)


@bp.get("/courses/<course>")
def course(course: str):
    """A course's assignments (the catalog), with each one's submissions in the course."""
    staff = require_staff(course)
    store = services().store
    rows = []
    for info in store.assignments():
        indexes = [KEYS.index_course(course), KEYS.index_assignment(info.id)]
        rows.append((info, store.list(indexes, 1, 1)[1]))
    return render_template("staff_course.html", who=staff.name, course=course, rows=rows)
