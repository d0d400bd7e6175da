"""The social media policy training application."""

from __future__ import annotations

import os
import secrets
from importlib import import_module

from flask import Flask, g, jsonify, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from lms import config as settings
from lms import logs, secret_key
from lms.config import PROJECT_ROOT
from lms.plain_text import refuse_unsafe_address


def create_app(config: dict | None = None) -> Flask:
    """Build the app; `config` overrides the environment (tests use it)."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(settings.from_environment(app.instance_path))
    if config:
        app.config.update(config)
    secret_key.provide(app.config, app.instance_path)  # no key set: refused outside development, kept in instance/
    settings.check_production(app.config)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        os.makedirs(app.instance_path, exist_ok=True)  # where the embedded database lives

    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_security_headers(app)
    app.before_request(refuse_unsafe_address)  # a NUL in an address would reach PostgreSQL: a 400
    register_commands(app)
    register_template_helpers(app)
    register_proxy(app)
    logs.configure(app)
    return app


def register_proxy(app: Flask) -> None:
    """Behind PROXY_HOPS trusted proxies, take the client's address and scheme from X-Forwarded-*.

    The sign-in limits key on the client address: without this every request would seem to
    come from the proxy; with it set too high a client could choose its own address.
    """
    hops = app.config["PROXY_HOPS"]
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def register_extensions(app: Flask) -> None:
    from lms.extensions import csrf, db, limiter, login_manager, mail, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    mail.init_app(app)
    login_manager.init_app(app)
    from lms.sso import client as sso_client

    sso_client.init_app(app)  # one client per configured provider (SSO_PROVIDERS); none by default
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    # Off: "strong" ties the cookie to X-Forwarded-For, which any client can send. The session's row on the
    # server (lms/auth/sessions.py) decides whether a cookie still works.
    login_manager.session_protection = None

    @login_manager.user_loader
    def load_user(user_id: str):
        from lms.models import Person

        if not user_id.isdigit():
            return None
        return db.session.get(Person, int(user_id))


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """SQLite enforces foreign keys only when asked, per connection."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


# Each package creates its blueprint in its own `blueprint.py`; the view modules named here add
# their routes to it. Importing them is the only reason to import a view module.
BLUEPRINTS: tuple[tuple[str, str, str | None, tuple[str, ...]], ...] = (
    # (blueprint module, attribute, URL prefix, view modules that add its routes)
    ("lms.auth.blueprint", "bp", None,
     ("lms.auth.views", "lms.auth.session_views", "lms.auth.sso_views", "lms.auth.two_factor_views")),
    ("lms.certificates.blueprint", "bp", None, ("lms.certificates.views",)),
    ("lms.training.blueprint", "bp", None, ("lms.training.views",)),
    ("lms.dashboards.blueprint", "bp", "/dashboards",
     ("lms.dashboards.views", "lms.dashboards.completion_views", "lms.dashboards.understanding_views")),
    ("lms.library.blueprint", "bp", "/library", ("lms.library.views",)),
    ("lms.people.blueprint", "bp", "/people", ("lms.people.views", "lms.people.subject_access_views")),
    ("lms.team.blueprint", "bp", "/team", ("lms.team.views",)),
    ("lms.approvals.blueprint", "bp", "/requests", ("lms.approvals.views", "lms.approvals.register_views")),
    ("lms.api.blueprint", "bp", "/api", ("lms.api.views",)),
    ("lms.api.blueprint", "account_bp", None, ("lms.api.account",)),
    ("lms.notices.blueprint", "bp", None, ("lms.notices.views",)),
    ("lms.outbox.blueprint", "bp", "/admin/mail", ("lms.outbox.views",)),
)


def register_blueprints(app: Flask) -> None:
    for module, attribute, prefix, views in BLUEPRINTS:
        for view_module in views:
            import_module(view_module)
        app.register_blueprint(getattr(import_module(module), attribute), url_prefix=prefix)

    @app.get("/healthz")
    def healthz():
        from lms import health
        from lms.extensions import db, limiter

        body, status = health.report(db.session, app.config["RATELIMIT_STORAGE_URI"], limiter.storage.check,
                                     health.mail_backlog)
        if status != 200:
            app.logger.error("health check: %s", body)
        return jsonify(body), status


def register_errorhandlers(app: Flask) -> None:
    from flask import render_template
    from flask_wtf.csrf import CSRFError

    from lms.extensions import db

    def page(code: int, title: str, message: str):
        if request.path.startswith("/api/") or request.path == "/healthz":
            return jsonify(error=title, message=message), code
        return render_template("errors/error.html", code=code, title=title, message=message), code

    @app.errorhandler(400)
    def bad_request(error):
        return page(400, "Bad request", getattr(error, "description", "The request could not be understood."))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return page(400, "Form expired", "The form was out of date or incomplete. Go back, reload the page and try again.")

    @app.errorhandler(403)
    def forbidden(error):
        return page(403, "Not allowed", "You do not have permission to see this page.")

    @app.errorhandler(404)
    def not_found(error):
        return page(404, "Not found", "There is nothing at this address.")

    @app.errorhandler(405)
    def method_not_allowed(error):
        body, code = page(405, "Not allowed", "This address does not accept that kind of request.")
        return body, code, {"Allow": ", ".join(getattr(error, "valid_methods", None) or [])}  # RFC 9110 asks for it

    @app.errorhandler(413)
    def too_large(error):
        return page(413, "Too large", "What you sent is larger than this site accepts.")

    @app.errorhandler(429)
    def too_many(error):
        if getattr(error, "response", None) is not None:  # a limit that answers in its own words (sign-in)
            return error.response
        return page(429, "Too many attempts", "Too many attempts. Wait a minute and try again.")

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return page(500, "Something went wrong", "Nothing you sent was half saved. Please try again.")


def register_security_headers(app: Flask) -> None:
    @app.before_request
    def make_nonce() -> None:
        g.csp_nonce = secrets.token_urlsafe(16)

    @app.after_request
    def headers(response):
        nonce = getattr(g, "csp_nonce", "")
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        if app.config["LMS_ENV"] == "production":
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        from flask_login import current_user

        if current_user and current_user.is_authenticated and not request.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response


def register_commands(app: Flask) -> None:
    from lms.cli import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from lms.access import can
    from lms.training.post_display import account_label, platform_actions, platform_label, sentence_case, split_post

    app.jinja_env.globals.update(
        can=can, platform_label=platform_label, account_label=account_label, platform_actions=platform_actions,
        csp_nonce=lambda: getattr(g, "csp_nonce", ""),
    )
    app.jinja_env.filters["post_parts"] = split_post
    app.jinja_env.filters["sentence_case"] = sentence_case
