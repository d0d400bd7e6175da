"""Who may see and do what, for every route the app serves (issue 7).

MATRIX is the specification, written as data: one row per (method, route) in app.url_map, one
expected answer per role. The test requests every row as every role and compares. A route the
app serves without a row fails the test, naming it, so no new page arrives without someone
deciding who may use it. The objects in the URLs belong to a member of staff of unit A, so the
matrix is also the first object-level check; OBJECT_CASES adds, for every route that names an
object (an id or a code), someone else's object and another unit's, and a route of that kind
without cases fails too.

Everything is built once per backend (module scope): one trust, one signed-in client per role.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pytest
from sqlalchemy import select

from lms import create_app
from lms.api import tokens
from lms.approvals import service as approvals
from lms.auth import session_store
from lms.auth.tokens import make_reset_token
from lms.clock import today, utcnow
from lms.content.store import load_library
from lms.extensions import db
from lms.models import ApiToken, Attempt, Person, Request, Role, UnitKind
from lms.records.content_updates import after_content_load
from lms.records.requirements import sync_requirements
from lms.records.settings import RecordSettings
from lms.training import service as training
from tests.conftest import SCENARIOS, Client, People, _empty_tables

SLUG = "core-social-media"
ROLES = ("anon", "staff", "manager", "head_a", "head_b", "ceo", "lead", "admin")

# Expected answers. Numbers are status codes; these name the redirects.
OK = 200
LOGIN = "login"   # 302 to /login?next=...: visitors are sent to sign in
MOVED = "moved"   # any other 302: the action was taken, or the page moved on


class Row(NamedTuple):
    url: str                  # with {placeholders} from World.ids
    expect: tuple             # one answer per role, in the order of ROLES
    data: dict | None = None  # POST body ({role} is filled in; the CSRF token is added); a valid POST is not needed
    api: bool = False         # sent with the role's own API token instead of the session


def each(answer: Any) -> tuple:
    return (answer,) * len(ROLES)


#                                            anon   staff  manager head_a head_b ceo    lead   admin
SIGNED_IN = (LOGIN, OK, OK, OK, OK, OK, OK, OK)
DASHBOARDS = (LOGIN, 403, OK, OK, OK, OK, OK, 403)         # anyone with a dashboard scope
LIBRARY = (LOGIN, 403, 403, 403, 403, OK, OK, 403)         # the CEO and trust leads
REGISTER = (LOGIN, 403, 403, OK, OK, OK, OK, 403)          # headteachers, the CEO, trust leads
TOKENS = DASHBOARDS                                        # API tokens: the same people as dashboards
API = (401, 403, OK, OK, OK, OK, OK, 403)                  # by token; no token is 401
OWNER_ONLY = (LOGIN, OK, 403, 403, 403, 403, 403, 403)     # the staff member's own attempt or certificate
OWNER_MOVED = (LOGIN, MOVED, 403, 403, 403, 403, 403, 403)
OWNER_422 = (LOGIN, 422, 403, 403, 403, 403, 403, 403)
PUBLIC = each(OK)

MATRIX: dict[str, Row] = {
    "GET /": Row("/", SIGNED_IN),
    "GET /healthz": Row("/healthz", PUBLIC),
    "GET /login": Row("/login", (OK, MOVED, MOVED, MOVED, MOVED, MOVED, MOVED, MOVED)),
    "POST /login": Row("/login", (OK, MOVED, MOVED, MOVED, MOVED, MOVED, MOVED, MOVED),
                       {"email": "nobody@example.org", "password": "wrong"}),
    "POST /logout": Row("/logout", each(MOVED)),  # on a fresh client per role, which is then signed out
    # Setting a password: anyone may ask for a link (the same answer for every address) and use one.
    "GET /password/reset": Row("/password/reset", PUBLIC),
    "POST /password/reset": Row("/password/reset", each(MOVED), {"email": "nobody.{role}@example.org"}),
    "GET /password/reset/<token>": Row("/password/reset/{reset}", PUBLIC),  # the link is the key
    "POST /password/reset/<token>": Row("/password/reset/{reset}", each(422), {}),
    "GET /account/password": Row("/account/password", SIGNED_IN),
    "POST /account/password": Row("/account/password", (LOGIN, *each(422)[1:]), {}),
    # Where one is signed in: everyone, their own sessions only (someone else's is "not found").
    "GET /account/sessions": Row("/account/sessions", SIGNED_IN),
    "POST /account/sessions/<int:session_id>/end": Row("/account/sessions/{staff_session}/end",
                                                       (LOGIN, MOVED, 404, 404, 404, 404, 404, 404), {}),
    "POST /account/sessions/end-others": Row("/account/sessions/end-others", (LOGIN, *each(MOVED)[1:]), {}),
    # Two-factor sign-in: the code pages are for whoever is half signed in (anyone else is sent to sign in,
    # or home); the account page is everyone's, and makes codes only for those with an app set up.
    "GET /login/code": Row("/login/code", each(MOVED)),
    "POST /login/code": Row("/login/code", each(MOVED), {"code": "123456"}),
    "GET /login/code/setup": Row("/login/code/setup", each(MOVED)),
    "POST /login/code/setup": Row("/login/code/setup", each(MOVED), {"code": "123456"}),
    "GET /account/two-factor": Row("/account/two-factor", SIGNED_IN),
    "POST /account/two-factor": Row("/account/two-factor", (LOGIN, MOVED, MOVED, MOVED, MOVED, 422, 422, 422), {}),
    # Single sign-on: none configured here, so no provider is found, for anyone (tests/sso has them).
    "GET /login/sso/<provider_id>": Row("/login/sso/microsoft", each(404)),
    "GET /login/sso/<provider_id>/callback": Row("/login/sso/microsoft/callback", each(404)),
    # Notices: public, linked in every footer.
    "GET /privacy": Row("/privacy", PUBLIC),
    "GET /accessibility": Row("/accessibility", PUBLIC),
    "GET /verify": Row("/verify", PUBLIC),
    "GET /verify/<code>": Row("/verify/{code}", PUBLIC),  # public by design: name, module and dates only
    # Training: everyone signed in; an attempt is its owner's alone.
    "GET /training/history": Row("/training/history", SIGNED_IN),
    "GET /training/history.csv": Row("/training/history.csv", SIGNED_IN),
    "GET /training/<slug>": Row("/training/{slug}", SIGNED_IN),
    "POST /training/<slug>/start": Row("/training/{slug}/start", (LOGIN, *each(MOVED)[1:])),
    "GET /attempts/<int:attempt_id>": Row("/attempts/{open}", OWNER_MOVED),
    "GET /attempts/<int:attempt_id>/q/<int:position>": Row("/attempts/{open}/q/1", OWNER_ONLY),
    "POST /attempts/<int:attempt_id>/q/<int:position>": Row("/attempts/{open}/q/1", OWNER_422, {}),
    "POST /attempts/<int:attempt_id>/q/<int:position>/contest": Row("/attempts/{done}/q/1/contest", OWNER_422, {}),
    "GET /attempts/<int:attempt_id>/finish": Row("/attempts/{open}/finish", OWNER_MOVED),
    "POST /attempts/<int:attempt_id>/finish": Row("/attempts/{open}/finish", OWNER_MOVED, {}),
    "GET /attempts/<int:attempt_id>/results": Row("/attempts/{done}/results", OWNER_ONLY),
    "GET /certificates/<code>.pdf": Row("/certificates/{code}.pdf", OWNER_ONLY),
    # Requests: anyone makes them; a request is seen by who asked and who decides (the line manager).
    "GET /requests/": Row("/requests/", SIGNED_IN),
    "GET /requests/new/<word>": Row("/requests/new/business-use", SIGNED_IN),
    "POST /requests/new/<word>": Row("/requests/new/business-use", (LOGIN, *each(422)[1:]), {}),
    "GET /requests/<int:request_id>": Row("/requests/{req}", (LOGIN, OK, OK, 403, 403, 403, 403, 403)),
    # The asker may see the request but not decide it (403, rule request.act); the manager it
    # was sent to sends it for training (run after the asker, in ROLES order).
    "POST /requests/<int:request_id>/<action>": Row("/requests/{req}/require_training",
                                                    (LOGIN, 403, MOVED, 403, 403, 403, 403, 403), {}),
    "GET /requests/delegate": Row("/requests/delegate", (LOGIN, 403, OK, OK, OK, OK, 403, 403)),
    "POST /requests/delegate": Row("/requests/delegate", (LOGIN, 403, 422, 422, 422, 422, 403, 403), {}),
    # The manager's delegation to a colleague: ended by the manager (its approver); the delegate could too.
    "POST /requests/delegate/<int:delegation_id>/end": Row("/requests/delegate/{delegation}/end",
                                                           (LOGIN, 403, MOVED, 403, 403, 403, 403, 403), {}),
    "GET /requests/register": Row("/requests/register", REGISTER),
    "GET /requests/register.csv": Row("/requests/register.csv", REGISTER),
    # The team: line managers their reports, headteachers their unit (the CEO manages the heads).
    "GET /team": Row("/team", (LOGIN, 403, OK, OK, OK, OK, 403, 403)),
    "POST /team/<int:person_id>/remind": Row("/team/{member}/remind", (LOGIN, 403, MOVED, MOVED, 403, 403, 403, 403),
                                             {}),
    # Dashboards and the content library.
    "GET /dashboards/": Row("/dashboards/", DASHBOARDS),
    "GET /dashboards/understanding": Row("/dashboards/understanding", DASHBOARDS),
    "GET /dashboards/csv/<chart>.csv": Row("/dashboards/csv/by-staff-type.csv", DASHBOARDS),
    "GET /dashboards/csv/understanding-heatmap.csv": Row("/dashboards/csv/understanding-heatmap.csv", DASHBOARDS),
    "GET /dashboards/csv/scenario-analysis.csv": Row("/dashboards/csv/scenario-analysis.csv", DASHBOARDS),
    "GET /dashboards/vendor/plotly.min.js": Row("/dashboards/vendor/plotly.min.js", PUBLIC),
    "GET /library/": Row("/library/", LIBRARY),
    "GET /library/contests": Row("/library/contests", LIBRARY),
    "GET /library/modules/<slug>": Row("/library/modules/{slug}", LIBRARY),
    # Staff import: admins.
    "GET /people/import": Row("/people/import", (LOGIN, 403, 403, 403, 403, 403, 403, OK)),
    "POST /people/import": Row("/people/import", (LOGIN, 403, 403, 403, 403, 403, 403, 422), {}),
    # Subject access requests: admins, about anyone (the member of staff here); nobody else, not even about themself.
    "GET /people/subject-access": Row("/people/subject-access", (LOGIN, 403, 403, 403, 403, 403, 403, OK)),
    "GET /people/<int:person_id>/data.json": Row("/people/{member}/data.json", (LOGIN, 403, 403, 403, 403, 403, 403, OK)),
    "GET /people/<int:person_id>/data.csv": Row("/people/{member}/data.csv", (LOGIN, 403, 403, 403, 403, 403, 403, OK)),
    # The mail outbox and its dead letters: admins and trust leads, who run the system.
    "GET /admin/mail": Row("/admin/mail", (LOGIN, 403, 403, 403, 403, 403, OK, OK)),
    "POST /admin/mail/retry": Row("/admin/mail/retry", (LOGIN, 403, 403, 403, 403, 403, MOVED, MOVED), {}),
    "POST /admin/mail/<int:message_id>/retry": Row("/admin/mail/99999999/retry",
                                                   (LOGIN, 403, 403, 403, 403, 403, 404, 404), {}),
    # API tokens (session) and the API (token).
    "GET /account/tokens": Row("/account/tokens", TOKENS),
    "POST /account/tokens": Row("/account/tokens", (LOGIN, 403, 422, 422, 422, 422, 422, 403), {"name": ""}),
    # The manager's spare token: revoked by the manager; anyone else's is "not found", as is none.
    "POST /account/tokens/<int:token_id>/revoke": Row("/account/tokens/{token}/revoke",
                                                      (LOGIN, 403, MOVED, 404, 404, 404, 404, 403), {}),
    "GET /api/": Row("/api/", PUBLIC),
    "GET /api/openapi.json": Row("/api/openapi.json", PUBLIC),
    "GET /api/v1/completion/units": Row("/api/v1/completion/units", API, api=True),
    "GET /api/v1/completion/modules": Row("/api/v1/completion/modules", API, api=True),
    "GET /api/v1/completion/staff-types": Row("/api/v1/completion/staff-types", API, api=True),
    "GET /api/v1/team/records": Row("/api/v1/team/records", API, api=True),
}

# Route arguments that name no one's object: content, kinds of thing, and positions within an
# object whose id is also in the route. Any other argument (an id, a code, a token) makes the
# route "id-bearing", and it needs OBJECT_CASES.
NOT_OBJECTS = {"slug", "word", "chart", "action", "position", "filename", "provider_id"}  # provider_id: a configured provider


class Case(NamedTuple):
    role: str
    method: str
    url: str
    expect: Any
    why: str


def case(role: str, url: str, expect: Any, why: str, method: str = "GET") -> Case:
    return Case(role, method, url, expect, why)


def post(role: str, url: str, expect: Any, why: str) -> Case:
    return Case(role, "POST", url, expect, why)


# peer: a colleague in unit A (line manager: head_a); away: staff in unit B (line manager: head_b).
OBJECT_CASES: dict[str, list[Case]] = {
    "training.resume": [
        case("staff", "/attempts/{peer_done}", 403, "a colleague's attempt"),
        case("staff", "/attempts/{away_done}", 403, "another unit's attempt"),
        case("head_b", "/attempts/{open}", 403, "another unit's head"),
        case("staff", "/attempts/99999999", 404, "no such attempt"),
    ],
    "training.question": [
        case("staff", "/attempts/{peer_done}/q/1", 403, "a colleague's answers"),
        case("manager", "/attempts/{done}/q/1", 403, "a report's answers, even for their manager"),
        case("staff", "/attempts/{away_done}/q/1", 403, "another unit's answers"),
        post("staff", "/attempts/{peer_done}/q/1", 403, "answering in a colleague's attempt"),
        case("staff", "/attempts/99999999/q/1", 404, "no such attempt"),
    ],
    "training.contest": [
        post("staff", "/attempts/{peer_done}/q/1/contest", 403, "contesting in a colleague's attempt"),
        post("head_a", "/attempts/{done}/q/1/contest", 403, "the head, in a member of staff's attempt"),
        post("staff", "/attempts/99999999/q/1/contest", 404, "no such attempt"),
    ],
    "training.finish_page": [
        case("staff", "/attempts/{peer_done}/finish", 403, "a colleague's attempt"),
        case("staff", "/attempts/99999999/finish", 404, "no such attempt"),
    ],
    "training.finish": [
        post("staff", "/attempts/{away_done}/finish", 403, "finishing another unit's attempt"),
        post("manager", "/attempts/{open}/finish", 403, "finishing a report's attempt"),
        post("staff", "/attempts/99999999/finish", 404, "no such attempt"),
    ],
    "training.results": [
        case("staff", "/attempts/{peer_done}/results", 403, "a colleague's results"),
        case("staff", "/attempts/{away_done}/results", 403, "another unit's results"),
        case("head_a", "/attempts/{done}/results", 403, "the head reads standings in the team view, not answers"),
        case("lead", "/attempts/{away_done}/results", 403, "a trust lead sees aggregates, not a person's answers"),
        case("staff", "/attempts/99999999/results", 404, "no such attempt"),
    ],
    "certificates.download": [
        case("staff", "/certificates/{peer_code}.pdf", 403, "a colleague's certificate"),
        case("head_b", "/certificates/{code}.pdf", 403, "another unit's head"),
        case("staff", "/certificates/{away_code}.pdf", 403, "another unit's certificate"),
        case("staff", "/certificates/0000000000000000.pdf", 404, "no such certificate"),
    ],
    "certificates.verify": [
        # Public by design: anyone holding the code may check it. It shows name, module and dates
        # (test_verify_shows_nothing_private); a code that is not one is simply not found.
        case("anon", "/verify/{peer_code}", OK, "anyone may check a printed code"),
        case("anon", "/verify/0000000000000000", 404, "no such certificate"),
    ],
    "approvals.detail": [
        case("staff", "/requests/{peer_req}", 403, "a colleague's request"),
        case("manager", "/requests/{peer_req}", 403, "a request sent to someone else (the head)"),
        case("head_a", "/requests/{away_req}", 403, "another unit's request"),
        case("head_b", "/requests/{req}", 403, "another unit's head"),
        case("lead", "/requests/{req}", 403, "trust leads see the register, not requests"),
        case("staff", "/requests/99999999", 404, "no such request"),
    ],
    "approvals.act": [
        post("staff", "/requests/{peer_req}/withdraw", 403, "withdrawing a colleague's request"),
        post("head_a", "/requests/{away_req}/approve", 403, "deciding another unit's request"),
        post("head_b", "/requests/{req}/decline", 403, "deciding another unit's request"),
        post("ceo", "/requests/{peer_req}/approve", 403, "a request routed to the head, not the CEO"),
        post("staff", "/requests/99999999/withdraw", 404, "no such request"),
    ],
    "approvals.end_delegation": [
        post("staff", "/requests/delegate/{delegation}/end", 403, "a delegation between two others in the unit"),
        post("head_a", "/requests/delegate/{delegation}/end", 403, "the head, over a manager's delegation"),
        post("head_b", "/requests/delegate/{delegation}/end", 403, "another unit's head"),
        post("manager", "/requests/delegate/99999999/end", 404, "no such delegation"),
    ],
    "team.remind": [
        post("manager", "/team/{peer}/remind", 403, "a colleague who is not their report"),
        post("manager", "/team/{away}/remind", 403, "someone in another unit"),
        post("head_a", "/team/{away}/remind", 403, "another unit's staff"),
        post("head_b", "/team/{member}/remind", 403, "another unit's staff"),
        post("manager", "/team/{manager}/remind", 403, "never oneself"),
        post("manager", "/team/99999999/remind", 404, "nobody with that id"),
    ],
    "people.subject_access_json": [
        case("staff", "/people/{member}/data.json", 403, "one's own data comes through an admin"),
        case("head_a", "/people/{member}/data.json", 403, "a head, about their own staff"),
        case("lead", "/people/{away}/data.json", 403, "a trust lead, about anyone"),
        case("admin", "/people/99999999/data.json", 404, "nobody with that id"),
    ],
    "people.subject_access_csv": [
        case("manager", "/people/{member}/data.csv", 403, "a line manager, about a report"),
        case("ceo", "/people/{away}/data.csv", 403, "the CEO, about anyone"),
        case("admin", "/people/99999999/data.csv", 404, "nobody with that id"),
    ],
    "auth.reset_password": [
        # The link is the key to one account: a link that is not one we signed opens nothing.
        case("anon", "/password/reset/not-a-link", 400, "a made-up link"),
        case("staff", "/password/reset/{forged}", 400, "a link for someone else, signed with another key"),
        post("anon", "/password/reset/{forged}", 400, "setting a password with a forged link"),
    ],
    "auth.end_session": [
        post("manager", "/account/sessions/{staff_session}/end", 404, "someone else's session is 'not found'"),
        post("admin", "/account/sessions/{staff_session}/end", 404, "even an admin's"),
        post("staff", "/account/sessions/99999999/end", 404, "no such session"),
    ],
    "outbox.retry": [
        # Dead letters are the system's, not a person's: the one check is that the message exists.
        post("admin", "/admin/mail/99999999/retry", 404, "no such message"),
        post("head_a", "/admin/mail/99999999/retry", 403, "not someone who runs the system"),
    ],
    "api_tokens.revoke": [
        post("manager", "/account/tokens/{lead_token}/revoke", 404, "someone else's token is 'not found'"),
        post("head_b", "/account/tokens/{lead_token}/revoke", 404, "someone else's token is 'not found'"),
        post("lead", "/account/tokens/99999999/revoke", 404, "no such token"),
    ],
}


@dataclass
class World:
    app: Any
    people: dict[str, Person]
    clients: dict[str, Client]
    api_tokens: dict[str, str]
    ids: dict[str, Any]
    _address: itertools.count = field(default_factory=lambda: itertools.count(10))

    def client(self, role: str | None = None) -> Client:
        """A new browser with an address of its own (the sign-in and download limits count per address)."""
        made = Client(self.app.test_client())
        made.raw.environ_base["REMOTE_ADDR"] = f"10.9.0.{next(self._address)}"
        if role is not None and role != "anon":
            made.login(self.people[role].email)
        return made

    def url(self, template: str) -> str:
        return template.format(**self.ids)


def _pass(person: Person) -> Attempt:
    """A finished, passed attempt at the core module, answered through the training service."""
    version = training.current_version(db.session, SLUG)
    attempt = training.start_or_resume(db.session, person, version)
    db.session.flush()
    for item in sorted(attempt.items, key=lambda i: i.position):
        scenario = item.scenario
        clause = scenario.clauses[0] if scenario.verdict == "breach" else None
        training.record_answer(db.session, attempt, item.position, scenario.verdict, clause, True)
    assert training.finish_attempt(db.session, attempt, RecordSettings())
    db.session.commit()
    assert attempt.passed and attempt.certificate_code
    return attempt


@pytest.fixture(scope="module")
def world(database_url, password_hash, library):
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "SECRET_KEY": "test-secret-key",
        "SCENARIOS_DIR": str(SCENARIOS), "MAIL_SERVER": "",
    })
    with app.app_context():
        report = load_library(db.session, library)
        after_content_load(db.session, report, RecordSettings(), today())
        db.session.commit()
        factory = People(password_hash)
        a, b = factory.unit("Oakfield Primary"), factory.unit("Riverside Academy")
        central = factory.unit("Central Team", UnitKind.central)

        def person(key: str, **kwargs) -> Person:
            return factory.person(email=f"{key.replace('_', '.')}@example.org", sync=False, **kwargs)

        ceo = person("ceo", unit=central, roles=(Role.ceo,))
        found = {
            "ceo": ceo,
            "lead": person("lead", unit=central, roles=(Role.trust_lead,), manager=ceo),
            "admin": person("admin", unit=central, roles=(Role.admin,), manager=ceo),
            "head_a": person("head_a", unit=a, roles=(Role.headteacher,), manager=ceo),
            "head_b": person("head_b", unit=b, roles=(Role.headteacher,), manager=ceo),
        }
        found["manager"] = person("manager", unit=a, manager=found["head_a"])
        found["staff"] = person("staff", unit=a, manager=found["manager"])
        found["peer"] = person("peer", unit=a, manager=found["head_a"])
        found["away"] = person("away", unit=b, manager=found["head_b"])
        found["leaver"] = person("leaver", unit=a)
        sync_requirements(db.session, RecordSettings(), today())
        db.session.commit()

        done, peer_done, away_done = _pass(found["staff"]), _pass(found["peer"]), _pass(found["away"])
        open_attempt = training.start_or_resume(db.session, found["staff"], training.current_version(db.session, SLUG))
        business_use = dict(accounts="@Oakfield", platforms=["facebook"], purpose="School news for parents.",
                            starts_on=today(), ends_on=None, settings=RecordSettings())
        req = approvals.submit_business_use(db.session, found["staff"], **business_use)
        away_req = approvals.submit_business_use(db.session, found["away"], **business_use)
        peer_req = approvals.submit_reference(db.session, found["peer"], subject_name="Sam Former",
                                              reference_for="A new school", draft="Reliable and kind.")
        spare, _ = tokens.create_token(db.session, found["manager"], "spare")
        delegation = approvals.set_delegate(db.session, found["manager"], found["peer"], today(), today())
        staff_session, _ = session_store.start(db.session, found["staff"].id, user_agent="", address=None, now=utcnow())
        lead_spare, _ = tokens.create_token(db.session, found["lead"], "spare")
        # Every role gets a token of its own, even those who may not use the API (as if they
        # once managed someone): the API itself must refuse them.
        api_tokens = {role: tokens.create_token(db.session, found[role], "matrix")[1] for role in ROLES[1:]}
        db.session.commit()
        assert req.approver_id == found["manager"].id and away_req.approver_id == found["head_b"].id
        assert peer_req.approver_id == found["head_a"].id

        ids = {"slug": SLUG, "open": open_attempt.id, "done": done.id, "code": done.certificate_code,
               "peer_done": peer_done.id, "peer_code": peer_done.certificate_code,
               "away_done": away_done.id, "away_code": away_done.certificate_code,
               "req": req.id, "peer_req": peer_req.id, "away_req": away_req.id,
               "member": found["staff"].id, "peer": found["peer"].id, "away": found["away"].id,
               "manager": found["manager"].id, "token": spare.id, "delegation": delegation.id, "lead_token": lead_spare.id,
               "staff_session": staff_session.id,
               "unit_b": b.id, "reset": make_reset_token(app.config["SECRET_KEY"], found["peer"]),
               "forged": make_reset_token("not-this-apps-secret-key", found["peer"])}
        built = World(app, found, {}, api_tokens, ids)
        built.clients = {role: built.client(role) for role in ROLES}
        built.clients["leaver"] = built.client("leaver")
        yield built

        db.session.rollback()
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


def routes(app) -> dict[str, Any]:
    """Every (method, route) the app serves, as 'METHOD /rule', but static files."""
    found = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found[f"{method} {rule.rule}"] = rule
    return found


def answer_of(response) -> Any:
    if response.status_code == 302:
        return LOGIN if response.location.startswith("/login?") else MOVED
    return response.status_code


def send(world: World, client: Client, role: str, method: str, url: str, data: dict | None = None, api: bool = False):
    if api:
        token = world.api_tokens.get(role)
        return client.get(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    if method == "POST":
        return client.post(url, {name: value.format(role=role) if isinstance(value, str) else value
                                 for name, value in (data or {}).items()})
    return client.get(url)


# --- the matrix -------------------------------------------------------------------------------

def test_every_route_has_a_row_in_the_matrix(world):
    served = routes(world.app)
    missing = sorted(set(served) - set(MATRIX))
    assert not missing, ("routes with no row in tests/security/test_access_matrix.py MATRIX (say who may use "
                         "them): " + ", ".join(missing))
    stale = sorted(set(MATRIX) - set(served))
    assert not stale, "MATRIX rows for routes the app no longer serves: " + ", ".join(stale)
    assert all(len(row.expect) == len(ROLES) for row in MATRIX.values())


def test_every_route_answers_every_role_as_the_matrix_says(world):
    started = time.perf_counter()
    wrong = []
    checked = 0
    for key, row in MATRIX.items():
        if key not in routes(world.app):
            continue  # reported by test_every_route_has_a_row_in_the_matrix
        method = key.split(" ", 1)[0]
        for role, expected in zip(ROLES, row.expect, strict=True):
            # Signing out is checked on a fresh client, so each role's own client stays signed in.
            client = world.client(role) if key == "POST /logout" else world.clients[role]
            response = send(world, client, role, method, world.url(row.url), row.data, row.api)
            checked += 1
            got = answer_of(response)
            if got != expected:
                wrong.append(f"{key} as {role}: expected {expected}, got {got} ({response.location or ''})")
            elif row.api and got == 401:
                assert response.mimetype == "application/json" and "WWW-Authenticate" in response.headers
            elif key == "POST /logout" and answer_of(client.get("/")) != LOGIN:
                wrong.append(f"{key} as {role}: still signed in afterwards")
    print(f"\naccess matrix: {len(MATRIX)} routes x {len(ROLES)} roles = {checked} answers checked "
          f"in {time.perf_counter() - started:.1f} s")
    assert not wrong, "answers that differ from the matrix:\n" + "\n".join(wrong)


def test_every_protected_view_asks_a_named_rule(world):
    """A page that is not public carries @allowed(rule) (the matrix test checks what the rule says)."""
    public = {key for key, row in MATRIX.items() if row.expect[0] not in (LOGIN,)}
    for key, rule in routes(world.app).items():
        if key in public or key not in MATRIX:
            continue
        view = world.app.view_functions[rule.endpoint]
        assert getattr(view, "access_rule", None), f"{key} ({rule.endpoint}) is not decorated with @allowed"


# --- object level -----------------------------------------------------------------------------

def id_bearing(app) -> dict[str, str]:
    """endpoint -> rule for every route with an argument that names an object (an id, a code, a token)."""
    return {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()
            if rule.endpoint != "static" and set(rule.arguments) - NOT_OBJECTS}


def test_every_id_bearing_route_has_object_level_cases(world):
    served = id_bearing(world.app)
    missing = sorted(f"{endpoint} ({path})" for endpoint, path in served.items() if endpoint not in OBJECT_CASES)
    assert not missing, ("routes that name an object but have no OBJECT_CASES in tests/security/test_access_matrix.py "
                         "(another person's object, another unit's): " + ", ".join(missing))
    stale = sorted(set(OBJECT_CASES) - set(served))
    assert not stale, "OBJECT_CASES for endpoints that no longer name an object: " + ", ".join(stale)


def test_someone_elses_object_and_another_units_data_are_refused(world):
    wrong = []
    for endpoint, cases in OBJECT_CASES.items():
        assert cases, endpoint
        for c in cases:
            response = send(world, world.clients[c.role], c.role, c.method, world.url(c.url), {})
            if answer_of(response) != c.expect:
                wrong.append(f"{endpoint} {c.method} {world.url(c.url)} as {c.role} ({c.why}): "
                             f"expected {c.expect}, got {answer_of(response)}")
    assert not wrong, "\n".join(wrong)
    # Nothing was changed by the refused POSTs.
    db.session.expire_all()
    lead_token = db.session.get(ApiToken, world.ids["lead_token"])
    assert lead_token.revoked_at is None
    states = {r.id: r.state.value for r in db.session.scalars(
        select(Request).where(Request.id.in_([world.ids["peer_req"], world.ids["away_req"]])))}
    assert set(states.values()) == {"submitted"}, states


def test_verify_shows_nothing_private(world):
    page = world.clients["anon"].get(world.url("/verify/{peer_code}")).get_data(as_text=True)
    peer = world.people["peer"]
    assert peer.full_name in page
    assert peer.email not in page and "score" not in page.lower()


def test_another_units_figures_never_reach_a_headteacher(world):
    """Filters and scopes are objects too: a unit that is not yours is refused or ignored, never shown."""
    head_a = world.clients["head_a"]
    away = world.people["away"].full_name
    unit_b = world.ids["unit_b"]
    response = head_a.get(f"/api/v1/team/records?unit={unit_b}",
                          headers={"Authorization": f"Bearer {world.api_tokens['head_a']}"})
    assert response.status_code == 422 and response.json["parameter"] == "unit"  # allowed value, not for them
    records = head_a.get("/api/v1/team/records", headers={"Authorization": f"Bearer {world.api_tokens['head_a']}"})
    assert records.status_code == 200 and records.json["rows"]
    assert {r["unit"] for r in records.json["rows"]} == {"Oakfield Primary"}
    assert away not in head_a.get("/team").get_data(as_text=True)
    assert world.clients["manager"].get("/team?scope=unit").status_code == 404  # a manager is no head
    page = head_a.get(f"/dashboards/?unit={unit_b}")
    assert page.status_code == 200 and "Riverside" not in page.get_data(as_text=True)
    csv_body = head_a.get("/requests/register.csv").get_data(as_text=True)
    assert "Riverside" not in csv_body


def test_someone_who_has_left_keeps_no_access_through_an_open_session(world):
    leaver = world.clients["leaver"]
    assert leaver.get("/").status_code == 200
    person = db.session.get(Person, world.people["leaver"].id)
    person.active = False
    db.session.commit()
    wrong = []
    for key, row in MATRIX.items():
        method = key.split(" ", 1)[0]
        if row.expect[0] != LOGIN or key not in routes(world.app):
            continue  # public pages stay public
        if method == "POST":
            leaver.get("/login")  # a valid form token for this browser, so only access can refuse the POST
        response = send(world, leaver, "leaver", method, world.url(row.url), row.data)
        if answer_of(response) not in (403, LOGIN):
            wrong.append(f"{key}: {answer_of(response)}")
    assert not wrong, "a deactivated person's session still works: " + ", ".join(wrong)


# --- one mechanism ----------------------------------------------------------------------------

# Role tests outside lms/access.py that decide nothing: the words a request page uses for who
# decides ("your headteacher"). Anything else that looks at roles is an access decision.
WORDING_ONLY = {("lms/approvals/wording.py", "relation")}


def test_no_code_outside_lms_access_decides_who_may_do_what():
    """No role test (`has_role`, `role_set`) and no hand-made 403 outside lms/access.py, its pure rules and the models."""
    import ast

    from lms.config import PROJECT_ROOT

    found = []
    for path in sorted((PROJECT_ROOT / "lms").rglob("*.py")):
        name = path.relative_to(PROJECT_ROOT).as_posix()
        if name in ("lms/access.py", "lms/access_rules.py") or name.startswith("lms/models/"):
            continue
        tree = ast.parse(path.read_text(), name)
        for function in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]:
            if (name, function.name) in WORDING_ONLY:
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Attribute) and node.attr in ("has_role", "role_set"):
                    found.append(f"{name}:{node.lineno} {function.name}() tests a role ({node.attr})")
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "abort"
                        and node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value == 403):
                    found.append(f"{name}:{node.lineno} {function.name}() answers 403 itself")
    assert not found, ("access decisions outside lms/access.py (make them named rules there and ask "
                       "require/allowed/fetch/can):\n" + "\n".join(found))
