"""Coming back to a saved form: the emailed link, then the emailed code.

The link's token is in its URL only for the one request that opens it: the
browser is then sent to ``/resume``, with the link's id kept in its signed
session, so the token is not left in the address bar, the history or a
Referer. The steps themselves are in ``flow/resume.py``.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from ..flow import resume
from .wiring import enqueue_delivery, services

bp = Blueprint("resume", __name__)


def _problem(exc: resume.ResumeError) -> tuple[str, int]:
    return render_template(
        "error.html", title="This link cannot open your form", body=str(exc)
    ), 410


@bp.route("/<token>")
def open_link(token: str) -> Response | tuple[str, int]:
    """Email a code for the link, then ask for it (at a URL without the token)."""
    try:
        sent = resume.open_link(services(), session, token[:100])
    except resume.ResumeError as exc:
        return _problem(exc)
    if sent is not None:
        enqueue_delivery((sent,))
    return redirect(url_for(".code"))


@bp.route("", methods=["GET", "POST"])
def code() -> Response | str | tuple[str, int]:
    """Ask for the 6-digit code; the right one opens the form at Check your answers."""
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        given = request.form.get("code", "")[:20]
        if not given.strip():
            errors = {"code": ["Enter the 6-digit code we emailed you"]}
        else:
            try:
                form_id = resume.enter_code(services(), session, given)
            except resume.WrongCode as exc:
                errors = {"code": [str(exc)]}
            except resume.ResumeError as exc:
                return _problem(exc)
            else:
                return redirect(url_for("forms.check_answers", form_id=form_id))
    if not isinstance(session.get(resume.SESSION_KEY), str):
        return _problem(resume.ResumeError("Open the link in your email again."))
    return render_template(
        "resume_code.html",
        errors=errors,
        error_list=[{"text": m[0], "href": "#code"} for m in errors.values()],
    )
