"""The read-only JSON API (/api/v1/...), its OpenAPI document and a page describing it.

Every /api/v1 call: a personal token in `Authorization: Bearer` (401 otherwise, saying so when
it expired), a person who may see a dashboard (403 otherwise), a scope among theirs
(`?scope=<index>`, the widest by default) and the dashboards' filters, read by `params.py`: a
value the document does not allow answers 400, allowed values that cannot be answered 422, both
naming the parameter. Rate-limited per token. The bodies come from the same queries as the
dashboard pages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import wraps

from flask import Response, current_app, jsonify, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.access import can, dashboard_scopes
from lms.api import bodies, openapi, params, tokens
from lms.api.blueprint import bp
from lms.audit import web as audit
from lms.clock import utcnow
from lms.dashboards import choices
from lms.dashboards.completion import completion_by
from lms.dashboards.privacy import Privacy
from lms.dashboards.scope import Filters, Scope, trust_wide
from lms.dashboards.team_records import team_records
from lms.extensions import csrf, db, limiter
from lms.models import Module, ModuleVersion, Person
from lms.records.settings import RecordSettings, app_settings

csrf.exempt(bp)  # no cookies, no forms: a token in a header, and GET only

def token_key() -> str:
    """Rate-limit key: the token's hash (never the token itself); the address when there is no token."""
    plaintext = tokens.parse_header(request.headers.get("Authorization"))
    return f"api-token:{tokens.hash_token(plaintext)}" if plaintext else f"api-addr:{request.remote_addr}"


per_token = limiter.shared_limit(openapi.RATE_LIMIT, scope="api-v1", key_func=token_key)


def error(status: int, message: str, **extra) -> Response:
    response = jsonify(error=message, **extra)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def unauthorized(header: str | None) -> Response:
    if not header:
        response = error(401, "Send a personal API token in the header 'Authorization: Bearer smp_...'. "
                              "Tokens are made at /account/tokens.")
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    else:
        response = error(401, "The token is not valid: it is malformed, unknown or revoked, or its owner has left.")
        response.headers["WWW-Authenticate"] = 'Bearer realm="api", error="invalid_token"'
    return response


def expired(token) -> Response:
    """Only the token's holder can learn this, and it tells them what to do."""
    response = error(401, f"The token expired on {tokens.expires_on(token).strftime('%-d %B %Y')}. Make a new one "
                          "at /account/tokens and put it in place of this one.")
    response.headers["WWW-Authenticate"] = 'Bearer realm="api", error="invalid_token", ' \
                                           'error_description="The token expired"'
    return response


def module_slugs(session: Session) -> list[str]:
    """The modules a filter may name (those with a current version, as on the dashboards), in slug order."""
    return list(session.scalars(select(Module.slug).join(ModuleVersion, ModuleVersion.module_id == Module.id)
                                .where(ModuleVersion.is_current).order_by(Module.slug)))


@dataclass(frozen=True)
class Ask:
    """One authenticated API call: who asks, in which scope, with which filters, as of when."""

    person: Person
    scopes: list[Scope]
    index: int
    filters: Filters
    now: datetime
    today: date
    settings: RecordSettings

    @property
    def privacy(self) -> Privacy:
        return Privacy.for_scope(self.scope, current_app.config)

    @property
    def scope(self) -> Scope:
        return self.scopes[self.index]

    def envelope(self) -> dict:
        return bodies.envelope(self.scopes, self.index, self.filters, self.now, self.today)


def _ask(session: Session, person: Person, now: datetime) -> Ask | Response:
    if not can(person, "api.read"):
        return error(403, "This token's owner may see no dashboard, so the API has nothing to show them.")
    asked = params.read(request.args, lambda: module_slugs(session))
    scopes = dashboard_scopes(person)
    if asked.scope >= len(scopes):
        raise params.Unanswerable("scope", f"scope: you have {len(scopes)} scope{'s' if len(scopes) > 1 else ''}, "
                                           f"numbered 0 to {len(scopes) - 1}")
    scope, filters = scopes[asked.scope], asked.filters
    if filters.unit_id is not None:
        if not trust_wide(scope):
            # The pages quietly drop this filter; a program is told instead of being handed other figures.
            raise params.Unanswerable("unit", f"unit: only a trust-wide scope is narrowed to a unit, "
                                              f"not {scope.label!r}")
        _, problems = choices.check_filters(filters, scope, choices.filter_options(session, scope, filters.unit_id))
        if problems:  # no such unit: the pages' own check
            raise params.Unanswerable("unit", f"unit: there is no unit {filters.unit_id}")
    return Ask(person, scopes, asked.scope, filters, now, now.date(), app_settings())


def api_call(view: Callable[[Ask], dict]) -> Callable[[], Response]:
    """Authenticate the token, resolve scope and filters, answer the view's dict as JSON (never cached).

    The token's last use is written after the view has read its figures: the kept counts are
    brought up to date on a connection of their own, which on SQLite cannot write while this
    request's connection holds a write.
    """
    @wraps(view)
    def wrapper() -> Response:
        now = utcnow()
        header = request.headers.get("Authorization")
        token = tokens.find(db.session, header)
        if token is None:
            return unauthorized(header)
        if tokens.is_expired(token, now):
            return expired(token)
        try:
            ask = _ask(db.session, token.person, now)
            response = ask if isinstance(ask, Response) else jsonify(view(ask))
        except params.BadParameter as bad:
            response = error(bad.status, bad.message, parameter=bad.parameter)
        tokens.touch(db.session, token, now)
        db.session.commit()  # the token's last use
        response.headers["Cache-Control"] = "no-store"
        return response
    return wrapper


def _completion(ask: Ask, dimension: str) -> dict:
    rows = completion_by(db.session, dimension, ask.scope, ask.filters, ask.today, ask.settings)
    body = {**ask.envelope(), "rows": bodies.completion_rows(dimension, rows, ask.privacy)}
    audit_call(ask)
    return body


def audit_call(ask: Ask, **detail) -> None:
    """Every answered call is an export; api_call commits it with the token's last use."""
    audit.exported("api_report", actor_id=ask.person.id, commit=False, path=request.path, scope=ask.scope.label,
                   filters=ask.filters.as_args(), **detail)


@bp.get("/v1/completion/units")
@per_token
@api_call
def completion_units(ask: Ask) -> dict:
    return _completion(ask, "unit")


@bp.get("/v1/completion/modules")
@per_token
@api_call
def completion_modules(ask: Ask) -> dict:
    return _completion(ask, "module")


@bp.get("/v1/completion/staff-types")
@per_token
@api_call
def completion_staff_types(ask: Ask) -> dict:
    return _completion(ask, "staff_type")


@bp.get("/v1/team/records")
@per_token
@api_call
def team_records_page(ask: Ask) -> dict:
    limit, offset = params.paging(request.args)
    rows = team_records(db.session, ask.scope, ask.filters, ask.today, ask.settings, limit=limit + 1, offset=offset)
    audit_call(ask, limit=limit, offset=offset)
    audit.viewed("api.team_records", [r.person_id for r in rows[:limit]], actor_id=ask.person.id, commit=False)
    return {**ask.envelope(), "limit": limit, "offset": offset,
            "next_offset": offset + limit if len(rows) > limit else None, "rows": bodies.record_rows(rows[:limit])}


@bp.get("/openapi.json")
def openapi_json() -> Response:
    return jsonify(openapi.document(module_slugs(db.session)))


@bp.get("/")
def index() -> str:
    return render_template("api/index.html", doc=openapi.document(module_slugs(db.session)), rate=openapi.RATE_LIMIT)
