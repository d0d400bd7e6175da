"""The one access-control mechanism: every "may this person see or do this?" is asked here.

Rules are named functions of (person, object). Those that need only the person and the object
are in `lms/access_rules.py`; those that need facts from the services (a manager's team, an
approver's delegates) are here, and this module imports those services, never the other way.
Views ask through `require` (or the `allowed` decorator, or `fetch` for an object by id);
templates and the API ask through `can`; a service that narrows what a viewer sees asks the
pure rules. Anonymous people are sent to sign in; a signed-in person without the right gets
403. Someone who has left (not active) may do nothing, even with a session still open.
tests/security/test_access_matrix.py holds every route to this.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user

from lms.access_rules import RULES as PURE_RULES
from lms.access_rules import Rule
from lms.extensions import login_manager
from lms.models import Person, Role

_RULES: dict[str, Rule] = dict(PURE_RULES)  # the pure rules (lms/access_rules.py), then those needing facts


def rule(name: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        _RULES[name] = fn
        return fn
    return register


def can(person: Any, name: str, obj: Any = None) -> bool:
    if person is None or not getattr(person, "is_authenticated", False):
        return False
    if not person.active:  # a session opened before someone left grants nothing
        return False
    return _RULES[name](person, obj)


def require(name: str, obj: Any = None) -> None:
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if not can(current_user, name, obj):
        abort(403)


def fetch(model: type, object_id: int, name: str, *, refused: int = 403, options: Sequence[Any] = ()) -> Any:
    """The object with this id if the rule allows it: 404 when there is none, `refused` when not allowed.

    `refused=404` is for objects whose very existence is private (someone else's API token);
    `options` are loader options (what to load in the same statement).
    """
    from lms.extensions import db

    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    found = db.session.get(model, object_id, options=options)
    if found is None:
        abort(404)
    if not can(current_user, name, found):
        abort(refused)
    return found


def allowed(name: str) -> Callable:
    """View decorator for rules that need no object."""
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            require(name)
            return view(*args, **kwargs)
        wrapper.access_rule = name  # read by the access-matrix test
        return wrapper
    return decorate


# --- rules that need facts from the services (the pure ones are in lms/access_rules.py) ------

@rule("team.view")
def _view_team(person: Person, _: Any) -> bool:
    """Line managers (of anyone active) see their reports; headteachers see their unit."""
    return bool(team_scopes(person))


@rule("team.scope")
def _team_scope(person: Person, scope: Any) -> bool:
    """Which view of a team (lms.team.service: "unit", "reports") this person may take."""
    return scope in team_scopes(person)


def team_scopes(person: Person) -> list[str]:
    """lms.team.service.scopes_for, asked once per request (the nav asks on every page)."""
    from flask import g

    from lms.extensions import db
    from lms.team.service import scopes_for

    cache = g.setdefault("team_scopes_cache", {})
    if person.id not in cache:
        cache[person.id] = scopes_for(db.session, person, _has_reports(person))
    return cache[person.id]


def _has_reports(person: Person) -> bool:
    """Whether `person` line-manages anyone active, asked once per request (team and dashboard scopes)."""
    from flask import g

    from lms.extensions import db
    from lms.team.service import has_active_reports

    cache = g.setdefault("has_reports_cache", {})
    if person.id not in cache:
        cache[person.id] = has_active_reports(db.session, person)
    return cache[person.id]


@rule("dashboards.view")
def _view_dashboards(person: Person, _: Any) -> bool:
    """Whoever has a dashboard scope: trust leads and the CEO, headteachers, line managers of anyone active."""
    return bool(dashboard_scopes(person))


def dashboard_scopes(person: Person) -> list:
    """lms.dashboards.scope.scopes_for, asked once per request (the nav asks on every page)."""
    from flask import g

    from lms.dashboards.scope import scopes_for
    from lms.extensions import db

    cache = g.setdefault("dashboard_scopes_cache", {})
    if person.id not in cache:
        cache[person.id] = scopes_for(db.session, person, _has_reports(person))
    return cache[person.id]


@rule("request.view")
def _view_request(person: Person, request: Any) -> bool:
    """The person who asked, the person it was sent to, and whoever stands in for them today."""
    from lms.approvals.moves import may_view
    from lms.extensions import db

    return request is not None and may_view(db.session, person, request)


@rule("request.act")
def _act_on_request(person: Person, target: Any) -> bool:
    """A move on a request (approve, decline, withdraw…) by the side it belongs to: the approver or their
    delegate for decisions (never the person who asked), the person who asked for their own moves."""
    from lms.approvals.moves import may_make
    from lms.extensions import db

    request, action = target
    return may_make(db.session, person, request, action)


@rule("requests.delegate")
def _delegate_requests(person: Person, _: Any) -> bool:
    """Approvers name a colleague to decide for them: headteachers, the CEO, and line managers."""
    from lms.team.service import REPORTS

    if not person.active:
        return False
    if person.role_set & {Role.headteacher, Role.ceo}:
        return True
    return REPORTS in team_scopes(person)  # shared with team.view: one query per request


@rule("delegations.page")
def _delegations_page(person: Person, _: Any) -> bool:
    """The delegation page: approvers (who name delegates there), and whoever stands in for someone now or
    later, who may give it up there."""
    from lms.approvals.delegation import stands_in_later
    from lms.clock import today
    from lms.extensions import db

    return _delegate_requests(person, None) or stands_in_later(db.session, person.id, today())


@rule("api.tokens")
def _api_tokens(person: Person, _: Any) -> bool:
    """Personal API tokens are for people who may see a dashboard (the same scopes, asked once per request)."""
    return person.active and bool(dashboard_scopes(person))


@rule("api.read")
def _read_api(person: Person, _: Any) -> bool:
    """A token answers only while its owner may see a dashboard: the API serves the same figures."""
    return person.active and bool(dashboard_scopes(person))
