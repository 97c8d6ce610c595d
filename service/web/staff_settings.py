"""The settings form of an assignment in a course (the same settings as
``PUT /api/v1/courses/{course}/assignments/{assignment}/settings``): the due date as a
date and a time in a chosen IANA time zone, the late policy, the cap, which score counts,
and when hidden tests' pass/fail is released to students."""

from __future__ import annotations

from datetime import date, datetime, time
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from flask import redirect, render_template, request, url_for
from pydantic import ValidationError

from common.assignment_settings import (
    AssignmentSettings,
    load_assignment_settings,
    save_assignment_settings,
)
from service.context import services
from service.web.sessions import require_staff
from service.web.staff_bp import bp
from service.web.staff_dashboard import checked


@cache
def zones() -> list[str]:
    """Every IANA time zone name this system knows, sorted (the form's choices)."""
    return sorted(available_timezones() | {"UTC"})


def from_form(form) -> tuple[AssignmentSettings | None, list[str]]:
    """Return (settings, []) from the submitted form, or (None, the reasons it is invalid)."""
    errors = []
    zone = form.get("timezone", "UTC")
    day, clock = form.get("due_date", "").strip(), form.get("due_time", "").strip()
    due_at = None
    if bool(day) != bool(clock):
        errors.append("Give both the due date and its time, or neither (no due date).")
    elif day:
        try:
            local = datetime.combine(date.fromisoformat(day), time.fromisoformat(clock))
            due_at = local.replace(tzinfo=ZoneInfo(zone)) if zone in zones() else None
        except ValueError:
            errors.append("The due date or time is not a valid date (YYYY-MM-DD) and time.")
    fields = {
        "due_at": due_at,
        "timezone": zone,
        "late_policy": form.get("late_policy", "accept"),
        "max_submissions": form.get("max_submissions", "0").strip() or "0",
        "score_counts": form.get("score_counts", "latest"),
        "hidden_release": form.get("hidden_release", "immediately"),
    }
    try:
        settings = AssignmentSettings.model_validate(fields)
    except ValidationError as exc:
        errors += [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        return None, errors
    return (None, errors) if errors else (settings, [])


@bp.route("/courses/<course>/assignments/<assignment>/settings", methods=["GET", "POST"])
def assignment_settings(course: str, assignment: str):
    """Show the form (GET), or validate and save it (POST; 422 with the reasons)."""
    staff = require_staff(course)
    checked(course, assignment)
    client = services().redis
    current = load_assignment_settings(client, course, assignment)
    errors: list[str] = []
    if request.method == "POST":
        settings, errors = from_form(request.form)
        if settings is not None:
            save_assignment_settings(client, course, assignment, settings)
            target = url_for("staff.assignment_settings", course=course, assignment=assignment)
            return redirect(f"{target}?saved=1")
    page = render_template(
        "staff_settings.html",
        who=staff.name,
        course=course,
        assignment=assignment,
        settings=current,
        form=request.form if errors else None,
        errors=errors,
        zones=zones(),
        saved=request.args.get("saved") == "1",
    )
    return page, 422 if errors else 200
