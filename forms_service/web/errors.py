"""Friendly error pages: no traceback, and never a lost answer."""

from __future__ import annotations

from flask import Flask, make_response, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

MESSAGES = {
    400: ("There is a problem with your request", "Go back, check the page and try again."),
    404: ("Page not found", "If you typed the web address, check it is correct."),
    405: ("Page not found", "If you typed the web address, check it is correct."),
    403: (
        "You cannot do that",
        "Your account does not allow it. If you think it should, ask your manager.",
    ),
    429: (
        "You have made too many requests",
        "Wait a minute, then go back and try again.",
    ),
    413: (
        "What you sent is too large",
        "Shorten your longest answers and try again. Each answer has a limit shown under it.",
    ),
    500: ("Sorry, there is a problem with the service", "Try again later."),
    503: (
        "Sorry, the service is busy",
        "Your answers have been kept. Wait a minute, then go back and try again.",
    ),
}


def _json_wanted() -> bool:
    return request.path.startswith("/api/")


def _page(code: int) -> ResponseReturnValue:
    title, body = MESSAGES.get(code, MESSAGES[500])
    if _json_wanted():
        return {"errors": {"_form": [f"{title}. {body}"]}}, code
    return render_template("error.html", title=title, body=body), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> ResponseReturnValue:
        title = "This page timed out"
        body = "To keep your account safe, pages time out. Go back, refresh the page and try again."
        return render_template("error.html", title=title, body=body), 400

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> ResponseReturnValue:
        """Our page, keeping the headers the error carries (``Allow`` on a 405, as
        RFC 9110 requires; ``Retry-After`` or ``WWW-Authenticate`` where set)."""
        response = make_response(_page(exc.code or 500))
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(DBAPIError)
    def _database(exc: DBAPIError) -> ResponseReturnValue:
        app.logger.error("database unavailable: %s", type(exc.orig).__name__)
        return _page(503)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        app.logger.exception("unhandled error")
        return _page(500)
