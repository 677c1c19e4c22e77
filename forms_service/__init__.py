"""Early Help forms service: ``create_app()`` is the WSGI entry point.

``gunicorn 'forms_service:create_app()'`` serves it; the engine underneath
(definitions, submissions, documents, delivery, mail) is usable without Flask.
``create_app`` is the web side's composition root: it builds the services and
the task runner ``FORMS_TASK_MODE`` names, and the views hand the runner the
ids that service functions return.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, redirect, url_for
from flask_wtf.csrf import CSRFProtect
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from .config import settings_from_env
from .services import build_services
from .web.json_limits import BoundedJSONProvider


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings from env (and ``test_config``), engine, blueprints."""
    settings = settings_from_env(overrides=test_config)
    app = Flask(
        __name__,
        template_folder="web/templates",
        static_folder="web/static/govuk",
        static_url_path="/assets",
    )
    app.json = BoundedJSONProvider(app)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_content_length,
        MAX_FORM_MEMORY_SIZE=settings.max_content_length,
        SESSION_COOKIE_NAME="__Host-session" if settings.production else "session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.production,
        WTF_CSRF_TIME_LIMIT=3600,
        TESTING=bool(test_config and test_config.get("TESTING")),
    )
    if test_config:
        app.config.update({k: v for k, v in test_config.items() if k.isupper()})
    app.jinja_loader = ChoiceLoader(
        [
            app.jinja_loader,  # type: ignore[list-item]
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    if settings.trusted_proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies
        )
    # Imported here, not at the top: importing any forms_service module runs this
    # file first (in the render process, the CLI, a Celery worker), and those need
    # neither the web layer nor a task runner. (No circle: none of these imports
    # this package; tests/unit/test_import_cycles.py checks.)
    from .api.views import bp as api_bp
    from .auth import limits, oidc
    from .auth import web as auth_web
    from .delivery.status import health, healthy
    from .staff.views import bp as staff_bp
    from .tasks import make_task_runner
    from .web import errors, security, wiring
    from .web.resume import bp as resume_bp
    from .web.templating import init_templating
    from .web.views import bp as forms_bp

    services = build_services(settings)
    app.extensions[wiring.SERVICES] = services
    app.extensions[wiring.TASKS] = make_task_runner(services)

    init_templating(app)
    security.init_app(app)
    errors.init_app(app)
    auth_web.init_app(app)
    oidc.init_app(app)
    app.register_blueprint(forms_bp, url_prefix="/forms")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(staff_bp, url_prefix="/staff")
    app.register_blueprint(resume_bp, url_prefix="/resume")
    # Every POST is checked here (a form page that timed out is drawn again with what
    # was typed: see web/views.py); the API takes bearer tokens, never cookies.
    # Limits first: a flood of posts with no token is refused with 429 before the
    # CSRF check spends anything on it.
    limits.init_app(app, services)
    csrf = CSRFProtect(app)
    csrf.exempt(api_bp)
    csrf.exempt(auth_web.sign_out)  # signing out always works (the cookie is SameSite=Lax)

    @app.route("/")
    def home() -> Response:
        return redirect(url_for("forms.index"))

    @app.route("/healthz")
    def healthz() -> tuple[dict[str, object], int]:
        """For monitoring: 200 when the SPOC inbox is being reached, 503 when its mail
        is stuck or failed (other kinds' counts are shown but raise no alarm)."""
        counts = health(services)
        ok = healthy(counts)
        return {"status": "ok" if ok else "attention", **counts}, 200 if ok else 503

    return app
