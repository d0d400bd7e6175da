"""The read-only API and personal tokens: lifecycle, authentication, scope rules, filters,
suppression, pagination, figures checked against the database, statement counts, OpenAPI."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from markupsafe import escape
from sqlalchemy import event, exists, func, insert, select

from lms.access import can
from lms.api import tokens
from lms.api.openapi import document
from lms.clock import travel_to
from lms.config import PROJECT_ROOT
from lms.content.schema import read_library
from lms.content.store import load_library
from lms.dashboards.scope import scopes_for
from lms.extensions import db
from lms.models import ApiToken, Module, ModuleProgress, ModuleVersion, Person, Role, StaffType, Unit, UnitKind
from lms.records.content_updates import after_content_load
from lms.records.requirements import sync_requirements
from lms.records.settings import RecordSettings
from lms.records.status import State, standing

NOW = datetime(2026, 10, 15, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
SETTINGS = RecordSettings()
TOKEN_SHAPE = re.compile(r"smp_[A-Za-z0-9_-]{43}")
UNITS, MODULES, STAFF_TYPES, RECORDS = ("/api/v1/completion/units", "/api/v1/completion/modules",
                                        "/api/v1/completion/staff-types", "/api/v1/team/records")
COUNTS = ("people", "required", "completed", "overdue", "due_soon", "expired")


@pytest.fixture(autouse=True)
def fixed_clock():
    with travel_to(NOW):
        yield


@pytest.fixture(scope="session")
def full_library():
    """Every shipped module: all-staff, managers' and business-use audiences."""
    lib = read_library([], PROJECT_ROOT / "scenarios", PROJECT_ROOT)
    assert not lib.problems, "\n".join(map(str, lib.problems))
    return lib


@pytest.fixture
def modules(app, full_library):
    report = load_library(db.session, full_library)
    after_content_load(db.session, report, SETTINGS, TODAY)
    db.session.commit()
    return report


@dataclass
class Trust:
    lead: Person
    head_a: Person
    manager: Person
    report1: Person
    report2: Person
    staff_a: Person  # no reports, no role: no dashboard
    head_b: Person
    leaver: Person
    a: Unit
    b: Unit
    c: Unit
    central: Unit


# Pass valid, pass expiring soon, expired, overdue, due soon unpassed, pass with a policy refresh pending, not started.
PATTERNS = [
    dict(valid_until=date(2027, 6, 1), due_on=date(2027, 6, 1), passed_at=datetime(2026, 6, 1, 10, tzinfo=UTC),
         last_score=Decimal("90.00"), pass_score=Decimal("90.00"), last_passed=True),
    dict(valid_until=TODAY + timedelta(days=7), due_on=TODAY + timedelta(days=7),
         passed_at=datetime(2025, 10, 22, 10, tzinfo=UTC), last_score=Decimal("80.00"), pass_score=Decimal("80.00"),
         last_passed=True),
    dict(valid_until=date(2026, 9, 1), due_on=date(2026, 9, 1), passed_at=datetime(2025, 9, 1, 10, tzinfo=UTC),
         last_score=Decimal("75.00"), pass_score=Decimal("75.00"), last_passed=True),
    dict(due_on=date(2026, 10, 1), last_score=Decimal("40.00"), last_passed=False,
         last_submitted_at=datetime(2026, 9, 20, 10, tzinfo=UTC)),
    dict(due_on=TODAY + timedelta(days=5)),
    dict(valid_until=date(2027, 3, 1), due_on=TODAY + timedelta(days=20), refresh_clauses=["2.1"],
         passed_at=datetime(2026, 3, 1, 10, tzinfo=UTC), last_score=Decimal("85.00"), pass_score=Decimal("85.00"),
         last_passed=True),
    dict(),
]


def vary_progress() -> None:
    """Give the required rows every state, deterministically."""
    rows = db.session.scalars(select(ModuleProgress).where(ModuleProgress.required)
                              .order_by(ModuleProgress.person_id, ModuleProgress.module_id)).all()
    for i, progress in enumerate(rows):
        for name, value in PATTERNS[i % len(PATTERNS)].items():
            setattr(progress, name, value)
    db.session.commit()


@pytest.fixture
def trust(people, modules) -> Trust:
    """Central Team: the trust lead. Oakfield (7): a head, a manager with two reports, three staff.
    Riverside (6): a head and five staff. Little Acorns (2): two staff. One leaver in Oakfield."""
    central = people.unit("Central Team", UnitKind.central)
    a, b, c = people.unit("Oakfield Primary"), people.unit("Riverside Academy"), people.unit("Little Acorns Nursery")

    def person(**kwargs) -> Person:
        return people.person(sync=False, **kwargs)

    lead = person(unit=central, roles=(Role.trust_lead,), email="lead@example.org")
    head_a = person(unit=a, roles=(Role.headteacher,), email="head.a@example.org")
    manager = person(unit=a, manager=head_a, email="manager@example.org")
    report1 = person(unit=a, manager=manager, staff_type=StaffType.volunteer)
    report2 = person(unit=a, manager=manager, staff_type=StaffType.consultant)
    staff_a = person(unit=a, email="staff.a@example.org")
    person(unit=a, staff_type=StaffType.agency_worker)
    person(unit=a)
    head_b = person(unit=b, roles=(Role.headteacher,), email="head.b@example.org")
    for staff_type in (StaffType.employee, StaffType.employee, StaffType.volunteer, StaffType.consultant,
                       StaffType.agency_worker):
        person(unit=b, manager=head_b, staff_type=staff_type)
    person(unit=c)
    person(unit=c, staff_type=StaffType.consultant)
    leaver = person(unit=a, manager=manager, active=False, email="leaver@example.org")
    sync_requirements(db.session, SETTINGS, TODAY)
    db.session.commit()
    vary_progress()
    return Trust(lead, head_a, manager, report1, report2, staff_a, head_b, leaver, a, b, c, central)


def token_for(person: Person, name: str = "Report") -> str:
    _, plaintext = tokens.create_token(db.session, person, name)
    db.session.commit()
    return plaintext


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def call(client, url: str, token: str | None, status: int = 200):
    response = client.get(url, headers=bearer(token) if token else {})
    assert response.status_code == status, (url, response.status_code, response.get_data(as_text=True))
    assert response.mimetype == "application/json"
    return response.json


def signed_in(make_client, person: Person):
    client = make_client()
    client.login(person.email)
    return client


def text(response) -> str:
    return response.get_data(as_text=True)


# --- tokens: the page and the service ---------------------------------------------------------

def test_a_token_is_shown_once_only_its_hash_is_kept_and_revoking_stops_it(make_client, trust):
    client = signed_in(make_client, trust.manager)
    page = client.get("/account/tokens")
    assert page.status_code == 200 and "You have not made any tokens." in text(page)

    created = client.post("/account/tokens", {"name": "  Governors' report  "})
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    plaintext = TOKEN_SHAPE.search(text(created)).group(0)
    assert "Copy your new token now" in text(created)

    row = db.session.scalar(select(ApiToken))
    assert row.person_id == trust.manager.id and row.name == "Governors' report"
    assert row.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert plaintext not in (row.name, row.token_hash)
    with client.raw.session_transaction() as session:  # never carried in the session cookie
        assert plaintext not in repr(dict(session))

    again = text(client.get("/account/tokens"))
    assert plaintext not in again and "smp_" not in again
    assert "Governors&#39; report" in again and "Never" in again and "Active" in again

    assert call(client, RECORDS, plaintext)["scope"]["kind"] == "team"
    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).last_used_at == NOW
    assert "Never" not in text(client.get("/account/tokens"))

    client.get("/account/tokens")
    revoked = client.post(f"/account/tokens/{row.id}/revoke")
    assert revoked.status_code == 302 and revoked.location == "/account/tokens"
    page = text(client.get("/account/tokens"))
    assert "is revoked" in page and "Revoked 15 Oct 2026, 09:00 UTC" in page
    response = client.get(RECORDS, headers=bearer(plaintext))
    assert response.status_code == 401 and 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_token_needs_a_name_of_1_to_100_characters(make_client, trust):
    client = signed_in(make_client, trust.head_a)
    client.get("/account/tokens")
    for name in ("", "   ", "x" * 101):
        response = client.post("/account/tokens", {"name": name})
        assert response.status_code == 422 and "There is a problem" in text(response)
        assert not TOKEN_SHAPE.search(text(response))
    assert client.post("/account/tokens", {"name": "x" * 100}).status_code == 200
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 1


def test_at_most_ten_active_tokens(make_client, trust):
    for i in range(tokens.MAX_ACTIVE):
        token_for(trust.lead, f"Token {i}")
    client = signed_in(make_client, trust.lead)
    client.get("/account/tokens")
    refused = client.post("/account/tokens", {"name": "One too many"})
    assert refused.status_code == 422
    assert "you already have 10 active tokens, the most allowed" in text(refused)
    assert not TOKEN_SHAPE.search(text(refused))
    first = db.session.scalar(select(ApiToken).order_by(ApiToken.id))
    client.post(f"/account/tokens/{first.id}/revoke")
    assert client.post("/account/tokens", {"name": "One too many"}).status_code == 200


def test_revoking_someone_elses_token_is_not_found(make_client, trust):
    token_for(trust.head_b, "Head B's")
    theirs = db.session.scalar(select(ApiToken))
    client = signed_in(make_client, trust.manager)
    client.get("/account/tokens")
    assert client.post(f"/account/tokens/{theirs.id}/revoke").status_code == 404
    assert client.post("/account/tokens/999999/revoke").status_code == 404
    db.session.expire_all()
    assert db.session.get(ApiToken, theirs.id).revoked_at is None
    assert "Head B" not in text(client.get("/account/tokens"))


def test_revoking_needs_the_form_token(make_client, trust):
    token_for(trust.manager)
    mine = db.session.scalar(select(ApiToken))
    client = signed_in(make_client, trust.manager)
    assert client.raw.post(f"/account/tokens/{mine.id}/revoke").status_code == 400  # no CSRF token
    db.session.expire_all()
    assert db.session.get(ApiToken, mine.id).revoked_at is None


def test_staff_without_a_dashboard_can_neither_make_nor_use_a_token(client, make_client, trust):
    staff = signed_in(make_client, trust.staff_a)
    assert staff.get("/account/tokens").status_code == 403
    assert staff.post("/account/tokens", {"name": "Mine"}).status_code == 403
    assert "API tokens" not in text(staff.get("/"))
    assert "API tokens" in text(signed_in(make_client, trust.manager).get("/"))
    assert client.get("/account/tokens").status_code == 302  # visitors are sent to sign in

    made_earlier = token_for(trust.staff_a)  # say they once managed someone
    body = call(client, UNITS, made_earlier, 403)
    assert body["error"] and "WWW-Authenticate" not in client.get(UNITS, headers=bearer(made_earlier)).headers


def test_the_access_rule_matches_the_dashboard_scopes(app, trust):
    everyone = db.session.scalars(select(Person).where(Person.active)).all()
    with app.test_request_context():
        for person in everyone:
            assert can(person, "api.tokens") == bool(scopes_for(db.session, person)), person.email


# --- authentication ---------------------------------------------------------------------------

HEADERS = [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer not-a-token", "Token smp_" + "a" * 43,
           "Bearer smp_" + "a" * 42, "Bearer smp_" + "a" * 43]  # the last well-formed but unknown


def test_no_malformed_or_unknown_token_is_unauthorized(client, app):
    for header in HEADERS:
        for url in (UNITS, MODULES, STAFF_TYPES, RECORDS):
            response = client.get(url, headers={"Authorization": header} if header is not None else {})
            assert response.status_code == 401, header
            assert response.headers["WWW-Authenticate"].startswith('Bearer realm="api"')
            assert ("invalid_token" in response.headers["WWW-Authenticate"]) == bool(header)
            assert response.json["error"] and set(response.json) == {"error"}
            assert response.headers["Cache-Control"] == "no-store"


def test_a_token_in_the_query_string_or_a_session_is_not_enough(make_client, trust):
    plaintext = token_for(trust.lead)
    client = signed_in(make_client, trust.lead)  # a signed-in browser, but no header
    assert client.get(f"{UNITS}?access_token={plaintext}").status_code == 401
    assert client.get(f"{UNITS}?token={plaintext}").status_code == 401
    assert client.get(UNITS, headers={"Authorization": f"bearer {plaintext}"}).status_code == 200  # scheme is case-blind


def test_a_leavers_token_stops_working(client, trust):
    plaintext = token_for(trust.manager)
    assert client.get(UNITS, headers=bearer(plaintext)).status_code == 200
    trust.manager.active = False
    db.session.commit()
    assert client.get(UNITS, headers=bearer(plaintext)).status_code == 401


def test_last_used_is_written_at_most_once_a_minute(client, trust):
    plaintext = token_for(trust.lead)
    token = db.session.scalar(select(ApiToken))
    updates = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE API_TOKENS"):
            updates.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        for moment in (NOW, NOW + timedelta(seconds=30), NOW + timedelta(seconds=59)):
            with travel_to(moment):
                call(client, UNITS, plaintext)
        assert len(updates) == 1
        db.session.expire_all()
        assert db.session.get(ApiToken, token.id).last_used_at == NOW
        with travel_to(NOW + timedelta(seconds=61)):
            call(client, UNITS, plaintext)
        assert len(updates) == 2
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at == NOW + timedelta(seconds=61)


def test_only_get_and_no_csrf_on_the_api(client, trust):
    plaintext = token_for(trust.lead)
    response = client.raw.post(UNITS, headers=bearer(plaintext))
    assert response.status_code == 405 and response.json["error"]  # not a CSRF failure
    assert client.raw.delete(RECORDS, headers=bearer(plaintext)).status_code == 405


def test_each_token_may_make_120_calls_a_minute(client, trust):
    busy, other = token_for(trust.lead, "busy"), token_for(trust.lead, "other")
    for _ in range(120):
        assert client.get(STAFF_TYPES, headers=bearer(busy)).status_code == 200
    limited = client.get(UNITS, headers=bearer(busy))  # shared across the endpoints
    assert limited.status_code == 429 and limited.json["error"]
    assert client.get(UNITS, headers=bearer(other)).status_code == 200  # the limit is per token


# --- scope rules ------------------------------------------------------------------------------

def unit_keys(body) -> set[str]:
    return {row["key"] for row in body["rows"]}


def record_people(body) -> set[int]:
    return {row["person_id"] for row in body["rows"]}


def active_ids(**where) -> set[int]:
    query = select(Person.id).where(Person.active)
    for name, value in where.items():
        query = query.where(getattr(Person, name) == value)
    return set(db.session.scalars(query))


def test_a_headteacher_sees_their_unit_only(client, trust):
    plaintext = token_for(trust.head_a)
    body = call(client, UNITS, plaintext)
    assert body["scope"] == {"index": 0, "label": "Oakfield Primary", "kind": "unit", "spans_units": False}
    assert [s["kind"] for s in body["scopes"]] == ["unit", "team"]
    assert unit_keys(body) == {str(trust.a.id)}
    assert record_people(call(client, f"{RECORDS}?limit=500", plaintext)) == active_ids(unit_id=trust.a.id)
    assert record_people(call(client, f"{RECORDS}?scope=1", plaintext)) == {trust.manager.id}  # their direct report
    for unit in (trust.b, trust.a):  # only a trust-wide scope is narrowed to a unit (never widened)
        assert call(client, f"{RECORDS}?unit={unit.id}", plaintext, 422)["parameter"] == "unit"


def test_a_line_manager_sees_their_direct_reports_only(client, trust):
    plaintext = token_for(trust.manager)
    body = call(client, f"{RECORDS}?limit=500", plaintext)
    assert body["scopes"] == [{"index": 0, "label": "My direct reports", "kind": "team", "spans_units": False}]
    assert record_people(body) == {trust.report1.id, trust.report2.id}  # not the leaver
    assert unit_keys(call(client, UNITS, plaintext)) == {str(trust.a.id)}
    assert call(client, STAFF_TYPES, plaintext)["rows"][0]["people"] == 1  # small groups are fine in a team


def test_a_trust_lead_sees_everyone(client, trust):
    plaintext = token_for(trust.lead)
    body = call(client, UNITS, plaintext)
    assert body["scope"]["kind"] == "trust" and body["scope"]["spans_units"] is True
    assert unit_keys(body) == {str(u.id) for u in (trust.a, trust.b, trust.c, trust.central)}
    assert record_people(call(client, f"{RECORDS}?limit=500", plaintext)) == active_ids()


def test_a_scope_out_of_range_is_a_bad_request(client, trust):
    """Outside the document's 0 to 2 it is a 400; within it but beyond the caller's own scopes, a 422."""
    lead, head = token_for(trust.lead), token_for(trust.head_a)
    for scope in ("3", "-1", "x", "0.5", "1e3", "99999999999", ""):
        body = call(client, f"{UNITS}?scope={scope}", lead, 400)
        assert body["parameter"] == "scope" and "scope" in body["error"]
    for scope in ("1", "2"):
        body = call(client, f"{UNITS}?scope={scope}", lead, 422)
        assert body["parameter"] == "scope" and body["error"] == "scope: you have 1 scope, numbered 0 to 0"
    assert call(client, f"{UNITS}?scope=1", head)["scope"]["kind"] == "team"
    assert call(client, f"{UNITS}?scope=2", head, 422)["parameter"] == "scope"


# --- filters ----------------------------------------------------------------------------------

def test_filters_narrow_the_rows_and_are_echoed(client, trust):
    plaintext = token_for(trust.lead)
    body = call(client, f"{RECORDS}?limit=500&staff_type=volunteer", plaintext)
    assert body["filters"] == {"staff_type": "volunteer"}
    assert record_people(body) == active_ids(staff_type=StaffType.volunteer)
    assert {row["staff_type"] for row in body["rows"]} == {"volunteer"}

    body = call(client, f"{MODULES}?unit={trust.b.id}", plaintext)
    assert body["filters"] == {"unit": str(trust.b.id)}
    assert all(row["people"] == 6 for row in body["rows"] if row["key"] != "managers-and-headteachers")

    body = call(client, f"{MODULES}?module=core-social-media", plaintext)
    assert body["filters"] == {"module": "core-social-media"} and unit_keys(body) == {"core-social-media"}
    head = call(client, f"{RECORDS}?module=managers-and-headteachers", token_for(trust.head_a))
    assert record_people(head) == {trust.head_a.id, trust.manager.id}  # those who manage someone, or a head
    assert {row["module"] for row in head["rows"]} == {
        db.session.scalar(select(ModuleVersion.title).join(Module).where(Module.slug == "managers-and-headteachers",
                                                                          ModuleVersion.is_current))}
    dated = call(client, f"{UNITS}?from=2026-01-01&to=2026-12-31", plaintext)
    assert dated["filters"] == {"from": "2026-01-01", "to": "2026-12-31"}


BAD_FILTERS = [  # values the document does not allow: 400
    ("staff_type=pilot", "staff_type"),
    ("module=no-such-module", "module"),
    ("module=", "module"),
    ("unit=0", "unit"),
    ("unit=abc", "unit"),
    ("unit=", "unit"),
    ("unit=%C2%B2", "unit"),  # a superscript two is a "digit" to str.isdigit, not a number
    ("unit=99999999999999999999", "unit"),
    ("unit=2147483648", "unit"),
    ("from=2026-13-01", "from"),
    ("from=2026-02-30", "from"),
    ("from=20260101", "from"),  # date.fromisoformat would take it; the document says YYYY-MM-DD
    ("from=2026-W01-1", "from"),
    ("from=1999-12-31", "from"),
    ("to=9999-09-01", "to"),
    ("to=0001-01-01", "to"),
    ("to=yesterday", "to"),
    ("to=", "to"),
]
UNANSWERABLE = [  # allowed values that cannot be answered: 422
    ("unit=999999", "unit"),
    ("from=2026-12-01&to=2026-01-01", "from"),
    ("from=2099-12-31&to=2000-01-01", "from"),
]


def test_bad_filters_are_a_bad_request_naming_the_parameter(client, trust):
    plaintext = token_for(trust.lead)
    for status, cases in ((400, BAD_FILTERS), (422, UNANSWERABLE)):
        for query, parameter in cases:
            for url in (UNITS, MODULES, STAFF_TYPES, RECORDS):
                body = call(client, f"{url}?{query}", plaintext, status)
                assert body["parameter"] == parameter and body["error"].startswith(f"{parameter}: "), (url, query)
    assert call(client, f"{UNITS}?from=2000-01-01&to=2099-12-31", plaintext)["filters"] == {
        "from": "2000-01-01", "to": "2099-12-31"}  # the ends of the range are in it


def test_an_unknown_module_is_a_400_that_the_document_describes(client, trust):
    """Finding 10: the module is an enum of the known modules, and the 400 is a described answer."""
    served = client.get("/api/openapi.json").json
    slugs = sorted(db.session.scalars(select(Module.slug)))
    assert served["components"]["parameters"]["module"]["schema"]["enum"] == slugs
    body = call(client, f"{MODULES}?module=no-such-module", token_for(trust.lead), 400)
    assert body["parameter"] == "module" and "core-social-media" in body["error"]  # it lists the known ones
    for path in served["paths"].values():
        assert path["get"]["responses"]["400"] == {"$ref": "#/components/responses/BadRequest"}
    assert served["components"]["responses"]["BadRequest"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"}


def test_bad_paging_is_a_bad_request(client, trust):
    plaintext = token_for(trust.lead)
    for query, parameter in [("limit=0", "limit"), ("limit=501", "limit"), ("limit=ten", "limit"), ("limit=", "limit"),
                             ("offset=-1", "offset"), ("offset=99999999999", "offset"), ("offset=2147483648", "offset")]:
        assert call(client, f"{RECORDS}?{query}", plaintext, 400)["parameter"] == parameter
    assert len(call(client, f"{RECORDS}?limit=1", plaintext)["rows"]) == 1


# --- figures, suppression and pagination --------------------------------------------------------

def expected_completion(dimension: str, in_scope) -> dict[str, dict]:
    """Worked out in Python from the rows, through the Python twin of the SQL state (`standing`)."""
    slugs = dict(db.session.execute(select(Module.id, Module.slug)).all())
    groups: dict[str, dict] = defaultdict(lambda: {"people": set(), "required": 0, "completed": 0, "overdue": 0,
                                                   "due_soon": 0, "expired": 0})
    rows = db.session.execute(select(ModuleProgress, Person).join(Person, Person.id == ModuleProgress.person_id)
                              .where(ModuleProgress.required, Person.active)).all()
    for progress, person in rows:
        if not in_scope(person):
            continue
        key = {"unit": str(person.unit_id), "module": slugs[progress.module_id],
               "staff_type": person.staff_type.value}[dimension]
        state = standing(progress, TODAY, SETTINGS)
        group = groups[key]
        group["people"].add(person.id)
        group["required"] += 1
        group["completed"] += state.current
        group["overdue"] += state.state is State.overdue
        group["due_soon"] += state.state is State.due_soon and not state.current
        group["expired"] += state.state is State.expired
    return {key: {**g, "people": len(g["people"])} for key, g in groups.items()}


@pytest.mark.parametrize(("url", "dimension"), [(UNITS, "unit"), (MODULES, "module"), (STAFF_TYPES, "staff_type")])
def test_figures_equal_those_worked_out_from_the_database(client, trust, url, dimension):
    lead, head = token_for(trust.lead), token_for(trust.head_a)
    for plaintext, in_scope, spans in ((lead, lambda p: True, True), (head, lambda p: p.unit_id == trust.a.id, False)):
        body = call(client, url, plaintext)
        expected = expected_completion(dimension, in_scope)
        assert {row["key"] for row in body["rows"]} == set(expected)
        for row in body["rows"]:
            want = expected[row["key"]]
            if spans and want["people"] < 5:
                assert row["suppressed"] is True and row["note"] == "fewer than 5"
                assert all(row[name] is None for name in (*COUNTS, "share"))
                continue
            assert row["suppressed"] is False and row["note"] is None
            assert {name: row[name] for name in COUNTS} == want
            assert all(type(row[name]) is int for name in COUNTS)
            assert row["share"] == round(want["completed"] / want["required"], 4)
    everything = expected_completion(dimension, lambda p: True)
    assert any(g["completed"] for g in everything.values()) and any(g["overdue"] for g in everything.values())
    assert any(g["due_soon"] for g in everything.values()) and any(g["expired"] for g in everything.values())


def test_records_equal_those_in_the_database(client, trust):
    body = call(client, f"{RECORDS}?limit=500", token_for(trust.head_a))
    titles = dict(db.session.execute(select(ModuleVersion.module_id, ModuleVersion.title)
                                     .where(ModuleVersion.is_current)).all())
    expected = set()
    for progress, person in db.session.execute(
            select(ModuleProgress, Person).join(Person, Person.id == ModuleProgress.person_id)
            .where(ModuleProgress.required, Person.active, Person.unit_id == trust.a.id)).all():
        expected.add((person.id, person.full_name, titles[progress.module_id],
                      standing(progress, TODAY, SETTINGS).state.value,
                      float(progress.last_score) if progress.last_score is not None else None,
                      progress.passed_at.date().isoformat() if progress.passed_at else None,
                      progress.valid_until.isoformat() if progress.valid_until else None,
                      progress.due_on.isoformat() if progress.due_on else None))
    got = {(r["person_id"], r["name"], r["module"], r["state"], r["last_score"], r["passed_at"], r["valid_until"],
            r["due_on"]) for r in body["rows"]}
    assert got == expected and len(body["rows"]) == len(expected)
    assert {r["unit"] for r in body["rows"]} == {"Oakfield Primary"}


def test_small_groups_are_withheld_only_where_the_scope_spans_units(app, client, trust):
    lead = token_for(trust.lead)
    rows = {r["key"]: r for r in call(client, UNITS, lead)["rows"]}
    assert rows[str(trust.c.id)]["suppressed"] and rows[str(trust.c.id)]["label"] == "Little Acorns Nursery"
    assert rows[str(trust.central.id)]["suppressed"]  # the trust lead alone
    assert not rows[str(trust.a.id)]["suppressed"] and not rows[str(trust.b.id)]["suppressed"]
    narrowed = call(client, f"{MODULES}?unit={trust.c.id}", lead)["rows"]  # a filter does not lift it
    assert narrowed and all(r["suppressed"] and r["people"] is None for r in narrowed)

    kinds = {r["key"]: r for r in call(client, STAFF_TYPES, lead)["rows"]}
    assert kinds["volunteer"]["suppressed"] and kinds["volunteer"]["label"] == "Volunteer"
    assert not kinds["employee"]["suppressed"]

    head = call(client, STAFF_TYPES, token_for(trust.head_a))["rows"]  # one unit: nothing withheld
    assert not any(r["suppressed"] for r in head) and min(r["people"] for r in head) == 1

    app.config["MIN_GROUP_SIZE"] = 3
    rows = {r["key"]: r for r in call(client, UNITS, lead)["rows"]}
    assert rows[str(trust.c.id)]["note"] == "fewer than 3"
    assert not rows[str(trust.b.id)]["suppressed"]


def test_suppression_matches_the_dashboard_pages(make_client, client, trust):
    """The API withholds exactly the groups the dashboard's tables (and their CSV files) withhold."""
    lead = token_for(trust.lead)
    page = signed_in(make_client, trust.lead)
    for url, chart in ((UNITS, "by-unit"), (STAFF_TYPES, "by-staff-type")):
        api = {row["label"]: row["suppressed"] for row in call(client, url, lead)["rows"]}
        response = page.get(f"/dashboards/csv/{chart}.csv")
        assert response.status_code == 200
        lines = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))[1:]
        shown = {line[0]: line[1] == "fewer than 5" for line in lines if line}
        assert api == shown and any(api.values()) and not all(api.values())


def test_records_come_in_pages(client, trust):
    plaintext = token_for(trust.lead)
    everything = call(client, f"{RECORDS}?limit=500", plaintext)
    assert everything["next_offset"] is None and everything["limit"] == 500
    total = len(everything["rows"])
    assert total > 7
    collected, offset = [], 0
    while offset is not None:
        page = call(client, f"{RECORDS}?limit=3&offset={offset}", plaintext)
        assert len(page["rows"]) <= 3 and page["offset"] == offset
        collected += page["rows"]
        offset = page["next_offset"]
    assert collected == everything["rows"]
    default = call(client, RECORDS, plaintext)
    assert default["limit"] == 100 and default["offset"] == 0
    assert call(client, f"{RECORDS}?offset={total}", plaintext)["rows"] == []
    assert call(client, f"{RECORDS}?limit={total}", plaintext)["next_offset"] is None
    assert call(client, f"{RECORDS}?limit={total - 1}", plaintext)["next_offset"] == total - 1


def test_a_body_has_the_envelope_and_no_caching(client, trust):
    response = client.get(UNITS, headers=bearer(token_for(trust.lead)))
    body = response.json
    assert response.headers["Cache-Control"] == "no-store"
    assert set(body) == {"scope", "scopes", "filters", "generated_at", "as_of", "rows"}
    assert body["generated_at"] == "2026-10-15T09:00:00+00:00" and body["as_of"] == "2026-10-15"


# --- the number of statements does not grow with the trust --------------------------------------

def add_people(count: int, units: list[Unit], manager: Person) -> None:
    """Bulk insert people (reporting to `manager`) and their required modules, each in every state."""
    start = db.session.scalar(select(func.count()).select_from(Person))
    types = list(StaffType)
    db.session.execute(insert(Person), [
        dict(email=f"bulk{i}@example.org", first_name=f"Bulk{i}", last_name=f"Person{i}", staff_type=types[i % 4],
             job_title="", unit_id=units[i % len(units)].id, line_manager_id=manager.id, start_date=date(2024, 9, 1),
             active=True, created_at=NOW)
        for i in range(start, start + count)])
    new = db.session.scalars(select(Person.id).where(
        Person.email.like("bulk%"), ~exists().where(ModuleProgress.person_id == Person.id))).all()
    modules = db.session.scalars(select(ModuleVersion.module_id).where(ModuleVersion.is_current,
                                                                       ModuleVersion.audience == "all-staff")).all()
    progress = []
    for n, person_id in enumerate(new):
        for module_id in modules:
            pattern = {"valid_until": None, "due_on": None, "passed_at": None, "last_score": None, "last_passed": None,
                       "refresh_clauses": None, "pass_score": None, "last_submitted_at": None,
                       **PATTERNS[n % len(PATTERNS)]}
            progress.append(dict(person_id=person_id, module_id=module_id, required=True, reason="all_staff",
                                 assigned_on=TODAY, attempts_count=0, updated_at=NOW, **pattern))
    db.session.execute(insert(ModuleProgress), progress)
    db.session.commit()


def count_statements(client, url: str, token: str) -> int:
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        call(client, url, token)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return len(statements)


def test_each_call_takes_as_many_statements_for_1000_people_as_for_10(client, people, modules):
    a, b = people.unit("Oakfield Primary"), people.unit("Riverside Academy")
    lead = people.person(unit=a, roles=(Role.trust_lead,))
    head = people.person(unit=a, roles=(Role.headteacher,))
    manager = people.person(unit=a, manager=head)
    callers = {"lead": token_for(lead), "head": token_for(head), "manager": token_for(manager)}
    urls = [UNITS, MODULES, STAFF_TYPES, RECORDS, f"{RECORDS}?limit=500&offset=5", f"{UNITS}?staff_type=employee",
            f"{STAFF_TYPES}?module=core-social-media", f"{MODULES}?scope=1", f"{RECORDS}?unit={b.id}"]
    only = {"scope=1": "head", "unit=": "lead"}  # the head's second scope; a unit filter needs a trust-wide one
    counts: dict[int, dict] = {}
    for total in (10, 1000):
        add_people(total - db.session.scalar(select(func.count()).select_from(Person)), [a, b], manager)
        assert db.session.scalar(select(func.count()).select_from(Person)) == total
        for plaintext in callers.values():
            call(client, UNITS, plaintext)  # warm up: the token's last use is written once a minute
        counts[total] = {(who, url): count_statements(client, url, plaintext)
                         for who, plaintext in callers.items() for url in urls
                         if all(who == caller for part, caller in only.items() if part in url)}
    assert counts[10] == counts[1000], counts
    assert len(call(client, RECORDS, callers["lead"])["rows"]) == 100
    assert sum(r["people"] for r in call(client, UNITS, callers["lead"])["rows"]) == 1000


# --- the OpenAPI document and the page about the API --------------------------------------------

def test_the_openapi_document_is_valid_and_describes_every_route(app, client):
    from openapi_spec_validator import validate

    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    served = response.json
    validate(served)
    assert served == document(sorted(db.session.scalars(select(Module.slug))))
    assert served["openapi"].startswith("3.1")
    assert served["components"]["securitySchemes"]["bearerAuth"] == {
        **served["components"]["securitySchemes"]["bearerAuth"], "type": "http", "scheme": "bearer"}
    routes = {rule.rule: rule.methods - {"HEAD", "OPTIONS"} for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/v1/")}
    assert routes and set(routes) == set(served["paths"])
    for path, methods in routes.items():
        assert methods == {"GET"} and set(served["paths"][path]) == {"get"}
        operation = served["paths"][path]["get"]
        assert {"200", "400", "401", "403", "422", "429", "500"} <= set(operation["responses"])


def test_bodies_match_their_schemas(client, trust):
    from openapi_schema_validator import OAS31Validator

    served = document()
    plaintext = token_for(trust.lead)

    def check(body, schema_name):
        schema = {"$ref": f"#/components/schemas/{schema_name}", "components": served["components"]}
        OAS31Validator(schema).validate(body)

    for url in (UNITS, MODULES, STAFF_TYPES, f"{UNITS}?staff_type=volunteer&from=2026-01-01"):
        check(call(client, url, plaintext), "CompletionReport")
    check(call(client, f"{RECORDS}?limit=5", plaintext), "RecordsReport")
    check(call(client, f"{UNITS}?scope=9", plaintext, 400), "Error")
    check(call(client, f"{UNITS}?scope=1", plaintext, 422), "Error")
    check(call(client, UNITS, None, 401), "Error")
    check(client.raw.post(UNITS).json, "Error")  # 405, with an Allow header
    assert set(client.raw.post(UNITS).headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_the_api_page_lists_the_endpoints(client):
    response = client.get("/api/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = text(response)
    served = document()
    for path, item in served["paths"].items():
        assert f"GET {path}" in page and f'id="{item["get"]["operationId"]}"' in page
        assert f"<strong>{escape(item['get']['summary'])}.</strong>" in page
    for parameter in served["components"]["parameters"].values():
        assert f"<code>{parameter['name']}</code>" in page
    assert 'href="/api/openapi.json"' in page and 'href="/account/tokens"' in page
