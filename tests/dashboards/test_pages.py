"""The completion dashboard: who sees what, small groups hidden, filters, CSV against the database, CSP, queries."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from html import unescape

import plotly.graph_objects as go
import pytest
from sqlalchemy import insert, select

from lms.clock import add_months, travel_to
from lms.content.schema import read_library
from lms.content.store import load_library
from lms.dashboards.charts import plotly_style_placeholders, plotly_version, to_json
from lms.dashboards.periods import date_range, training_year
from lms.dashboards.scope import Filters
from lms.extensions import db
from lms.models import (
    Attempt,
    AttemptState,
    Module,
    ModuleProgress,
    ModuleVersion,
    Person,
    Request,
    RequestKind,
    RequestState,
    Role,
    StaffType,
    Unit,
)
from lms.records.content_updates import after_content_load
from lms.records.settings import RecordSettings
from lms.records.status import State, standing
from tests.conftest import PROJECT_ROOT, SCENARIOS
from tests.sqlcount import count_statements as shared_count_statements

DAY0 = date(2026, 9, 1)      # the training year 2026/27 starts; everyone is required both modules, due 1 Oct
TODAY = date(2026, 10, 15)   # the dashboards are looked at on this day
CORE, PERSONAL = "core-social-media", "personal-use-and-working-hours"
FEWER = "fewer than 5"


# --- a small trust --------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def two_modules():
    lib = read_library([SCENARIOS / "policy.yaml", SCENARIOS / f"{CORE}.yaml", SCENARIOS / f"{PERSONAL}.yaml"],
                       SCENARIOS, PROJECT_ROOT)
    assert not lib.problems
    return lib


@pytest.fixture
def modules(app, two_modules) -> dict[str, ModuleVersion]:
    with travel_to(DAY0):
        report = load_library(db.session, two_modules)
        after_content_load(db.session, report, RecordSettings(), DAY0)
        db.session.commit()
    versions = db.session.scalars(select(ModuleVersion).where(ModuleVersion.is_current)).all()
    return {v.module.slug: v for v in versions}


@dataclass
class Trust:
    oak: Unit        # 6 people
    river: Unit      # 4 people: a small group in views across units
    central: Unit    # 5 people
    head_a: Person
    manager: Person
    report1: Person
    report2: Person
    colleague: Person
    agency: Person
    head_b: Person
    b1: Person
    b2: Person
    b3: Person
    lead: Person
    ceo: Person
    c1: Person
    c2: Person
    c3: Person
    modules: dict


def progress(person: Person, slug: str) -> ModuleProgress:
    return db.session.scalar(select(ModuleProgress).join(Module).where(ModuleProgress.person_id == person.id,
                                                                       Module.slug == slug))


def attempt(person: Person, version: ModuleVersion, on: date, score: int, passed: bool) -> ModuleProgress:
    """A finished attempt and the summary it leaves, as lms.training would record them."""
    when = datetime.combine(on, time(10), UTC)
    a = Attempt(person_id=person.id, module_id=version.module_id, module_version_id=version.id,
                policy_version_id=version.policy_version_id, state=AttemptState.submitted, started_at=when,
                submitted_at=when, score=Decimal(score), passed=passed,
                valid_until=add_months(on, 12) if passed else None)
    db.session.add(a)
    db.session.flush()
    p = progress(person, version.module.slug)
    p.last_score, p.last_passed, p.last_submitted_at, p.last_attempt_id = Decimal(score), passed, when, a.id
    p.attempts_count += 1
    if passed:
        p.passed_at, p.pass_score, p.pass_attempt_id = when, Decimal(score), a.id
        p.valid_until = p.due_on = add_months(on, 12)
    return p


@pytest.fixture
def trust(people, modules) -> Trust:
    with travel_to(DAY0):
        oak, river, central = people.unit("Oakfield Primary"), people.unit("Riverside Academy"), people.unit("Central Team")
        head_a = people.person(unit=oak, roles=(Role.headteacher,), email="head.a@example.org")
        manager = people.person(unit=oak, manager=head_a, email="manager@example.org")
        report1 = people.person(unit=oak, manager=manager)
        report2 = people.person(unit=oak, manager=manager, staff_type=StaffType.volunteer)
        colleague = people.person(unit=oak, staff_type=StaffType.consultant, manager=head_a)
        agency = people.person(unit=oak, staff_type=StaffType.agency_worker, manager=head_a)
        head_b = people.person(unit=river, roles=(Role.headteacher,), email="head.b@example.org")
        b1, b2, b3 = (people.person(unit=river, manager=head_b) for _ in range(3))
        ceo = people.person(unit=central, roles=(Role.ceo,), email="ceo@example.org")
        lead = people.person(unit=central, roles=(Role.trust_lead,), email="lead@example.org", manager=ceo)
        c1, c2, c3 = (people.person(unit=central, manager=ceo, staff_type=t)
                      for t in (StaffType.employee, StaffType.employee, StaffType.volunteer))
    core, personal = modules[CORE], modules[PERSONAL]
    attempt(report1, core, date(2026, 9, 10), 90, True)
    attempt(report1, personal, date(2026, 9, 20), 85, True)
    attempt(report2, core, date(2026, 9, 12), 55, False)
    attempt(colleague, core, date(2026, 10, 2), 100, True)
    attempt(head_a, core, date(2025, 10, 10), 80, True)      # a pass of last year: expired on 10 Oct 2026
    progress(manager, PERSONAL).due_on = TODAY + timedelta(days=7)  # due soon
    attempt(b1, core, date(2026, 9, 15), 95, True)
    attempt(b2, core, date(2026, 9, 16), 88, True)
    attempt(lead, core, date(2026, 9, 3), 82, True)
    attempt(lead, personal, date(2026, 9, 4), 91, True)
    attempt(c1, core, date(2026, 9, 24), 45, False)
    attempt(c1, core, date(2026, 9, 25), 84, True)          # the first pass counts, once
    attempt(c2, personal, date(2026, 10, 14), 30, False)
    for requester, approver, state in ((report1, manager, RequestState.approved), (c1, ceo, RequestState.submitted),
                                       (b1, head_b, RequestState.declined), (report2, manager, RequestState.approved)):
        db.session.add(Request(kind=RequestKind.business_use, state=state, requester_id=requester.id,
                               approver_id=approver.id, unit_id=requester.unit_id))
    db.session.add(Request(kind=RequestKind.media_enquiry, state=RequestState.submitted, requester_id=c2.id,
                           approver_id=ceo.id, unit_id=central.id))  # not business use: never counted
    db.session.commit()
    return Trust(oak, river, central, head_a, manager, report1, report2, colleague, agency, head_b, b1, b2, b3,
                 lead, ceo, c1, c2, c3, modules)


def signed_in(make_client, person: Person):
    client = make_client()
    client.login(person.email)
    return client


def page(client, url: str = "/dashboards/") -> str:
    with travel_to(TODAY):
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def csv_rows(client, chart: str, query: str = "") -> list[list[str]]:
    with travel_to(TODAY):
        response = client.get(f"/dashboards/csv/{chart}.csv{query}")
    assert response.status_code == 200
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM, for Excel
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def table(html: str, chart: str) -> list[list[str]]:
    """The body rows of a chart's table, as text."""
    section = re.search(rf'<section class="chart" id="{chart}".*?</section>', html, re.S)
    assert section, chart
    body = re.search(r"<tbody>(.*?)</tbody>", section.group(0), re.S).group(1)
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)
        rows.append([re.sub(r"<[^>]+>", "", c).strip() for c in cells])
    return rows


def figure(html: str, chart: str) -> dict | None:
    block = re.search(rf'<script type="application/json" class="chart-data" data-target="{chart}-plot">(.*?)</script>',
                      html, re.S)
    return json.loads(block.group(1)) if block else None


def summary(html: str) -> dict[str, str]:
    dl = re.search(r'<dl class="facts dashboard-summary">(.*?)</dl>', html, re.S).group(1)
    return dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", dl))


# --- the numbers, worked out here from the rows (in Python, with the Python state rule) --------------

def expected(group_of, people_filter=lambda p: True, module: str | None = None) -> dict[str, list]:
    """CSV rows of a completion table: [label, people, required, completed, %, overdue, due soon, expired]."""
    settings = RecordSettings()
    groups: dict[str, dict] = defaultdict(lambda: {"people": set(), "required": 0, "completed": 0,
                                                   "overdue": 0, "due_soon": 0, "expired": 0})
    rows = db.session.execute(select(ModuleProgress, Person, Module.slug).join(Person).join(Module)
                              .where(ModuleProgress.required, Person.active)).all()
    for p, person, slug in rows:
        if not people_filter(person) or (module and slug != module):
            continue
        g = groups[group_of(person)]
        s = standing(p, TODAY, settings)
        g["people"].add(person.id)
        g["required"] += 1
        g["completed"] += s.current
        g["overdue"] += s.state is State.overdue
        g["due_soon"] += s.state is State.due_soon and not s.current
        g["expired"] += s.state is State.expired
    return {label: [label, str(len(g["people"])), str(g["required"]), str(g["completed"]),
                    f"{round(100 * g['completed'] / g['required'], 1)}", str(g["overdue"]), str(g["due_soon"]),
                    str(g["expired"])] for label, g in groups.items()}


def by_unit(person: Person) -> str:
    return person.unit.name


def by_type(person: Person) -> str:
    return person.staff_type.label.capitalize()


# --- who sees what -----------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["lead", "ceo"])
def test_trust_leads_and_the_ceo_see_every_unit_and_drill_down(make_client, trust, who):
    client = signed_in(make_client, getattr(trust, who))
    html = page(client)
    units = {row[0]: row for row in table(html, "by-unit")}
    assert set(units) == {"Oakfield Primary", "Riverside Academy", "Central Team"}
    assert summary(html)["People"] == "15"
    assert f'href="/dashboards/?unit={trust.oak.id}"' in html  # drill-down
    drilled = page(client, f"/dashboards/?unit={trust.oak.id}")
    assert "Training completion: Oakfield Primary" in drilled and summary(drilled)["People"] == "6"
    assert [row[0] for row in table(drilled, "by-unit")] == ["Oakfield Primary"]
    # across units, each of Oakfield's staff types is a small group (3 employees, 1 of each other type)
    assert {r[0]: r[1] for r in table(drilled, "by-staff-type")} == {
        "Employee": FEWER, "Volunteer": FEWER, "Consultant": FEWER, "Agency worker": FEWER}
    assert figure(drilled, "by-staff-type") is None
    assert figure(drilled, "scores") is not None  # the unit as a whole is 6 people


def test_a_headteacher_sees_their_unit_and_nothing_of_another(make_client, trust):
    client = signed_in(make_client, trust.head_a)
    html = page(client)
    assert "Riverside" not in html and "Central Team" not in html
    assert 'id="by-unit"' not in html  # one unit: no chart by unit
    assert summary(html)["People"] == "6"
    want = expected(by_type, lambda p: p.unit_id == trust.oak.id)
    assert {r[0]: r for r in table(html, "by-staff-type")} == want
    # a unit filter outside their scope is ignored, never widens (nor empties) the view
    other = page(client, f"/dashboards/?unit={trust.river.id}")
    assert summary(other)["People"] == "6" and "Riverside" not in other
    assert {r[0]: r for r in csv_rows(client, "by-staff-type", f"?unit={trust.river.id}")[1:]} == want
    with travel_to(TODAY):
        assert client.get("/dashboards/csv/by-unit.csv").status_code == 404
    # the authorisations of their unit only: report1's and report2's approvals
    assert csv_rows(client, "authorisations")[1:][:3] == [["Submitted", "0", "0"], ["Training required", "0", "0"],
                                                          ["Approved", "2", "2"]]
    # their reports' view is the second scope
    assert "My direct reports" in html
    reports = page(client, "/dashboards/?scope=1")
    assert summary(reports)["People"] == "3"  # manager, colleague, agency


def test_a_line_manager_sees_only_their_direct_reports(make_client, trust):
    client = signed_in(make_client, trust.manager)
    html = page(client)
    assert summary(html)["People"] == "2"
    want = expected(by_type, lambda p: p.line_manager_id == trust.manager.id)
    assert set(want) == {"Employee", "Volunteer"}
    assert {r[0]: r for r in table(html, "by-staff-type")} == want
    assert 'name="unit"' not in html  # no drill-down offered
    assert summary(page(client, f"/dashboards/?unit={trust.river.id}"))["People"] == "2"


def test_staff_are_refused_and_visitors_sent_to_sign_in(client, make_client, trust):
    staff = signed_in(make_client, trust.b1)
    with travel_to(TODAY):
        assert staff.get("/dashboards/").status_code == 403
        assert staff.get("/dashboards/csv/by-staff-type.csv").status_code == 403
        assert "/dashboards/" not in staff.get("/").get_data(as_text=True)
        response = client.get("/dashboards/")
        assert response.status_code == 302 and response.location.startswith("/login?next=")
        assert client.get("/dashboards/csv/due.csv").status_code == 302
    assert 'href="/dashboards/">Dashboards</a>' in page(signed_in(make_client, trust.manager), "/")


# --- small groups ----------------------------------------------------------------------------------

def test_a_unit_of_four_shows_fewer_than_5_across_units_and_numbers_to_its_head(app, make_client, trust):
    lead = signed_in(make_client, trust.lead)
    html = page(lead)
    rows = {r[0]: r for r in table(html, "by-unit")}
    assert rows["Riverside Academy"][1:] == [FEWER, "–", "–", "–", "–", "–", "–"]
    assert rows["Oakfield Primary"][1] == "6"
    fig = figure(html, "by-unit")
    drawn = [name for trace in fig["data"] for name in trace["y"]]
    assert "Riverside Academy" not in drawn and "Oakfield Primary" in drawn
    assert "Units of fewer than 5 people are left out of the chart" in html
    in_csv = {r[0]: r for r in csv_rows(lead, "by-unit")}
    assert in_csv["Riverside Academy"] == ["Riverside Academy", FEWER, "", "", "", "", "", ""]
    # staff types across units: 3 consultants/volunteers/agency workers are hidden too
    types = {r[0]: r for r in table(html, "by-staff-type")}
    assert types["Volunteer"][1] == FEWER and types["Employee"][1] == "11"
    # drilling down into the small unit hides everything
    small = page(lead, f"/dashboards/?unit={trust.river.id}")
    assert summary(small) == {"People": FEWER}
    assert "95" not in "".join(c for r in table(small, "scores") for c in r)
    assert figure(small, "scores") is None and "Fewer than 5 people match these filters" in small
    # the unit's own headteacher sees its numbers
    head_b = page(signed_in(make_client, trust.head_b))
    assert summary(head_b)["People"] == "4" and FEWER not in head_b
    assert {r[0]: r for r in table(head_b, "by-staff-type")} == expected(by_type, lambda p: p.unit_id == trust.river.id)


def test_the_threshold_is_configurable(app, make_client, trust):
    lead = signed_in(make_client, trust.lead)
    app.config["MIN_GROUP_SIZE"] = 3
    rows = {r[0]: r for r in table(page(lead), "by-unit")}
    assert rows["Riverside Academy"] == expected(by_unit)["Riverside Academy"]
    app.config["MIN_GROUP_SIZE"] = 6
    html = page(lead)
    rows = {r[0]: r for r in table(html, "by-unit")}
    assert rows["Central Team"][1] == "fewer than 6" and rows["Oakfield Primary"][1] == "6"
    assert "fewer than 5" not in html


# --- filters ----------------------------------------------------------------------------------------

def test_filters_change_the_numbers_and_stay_in_the_url(make_client, trust):
    head = signed_in(make_client, trust.head_a)
    query = f"staff_type=employee&module={CORE}&from=2026-09-01&to=2026-09-30"
    html = page(head, f"/dashboards/?{query}")
    assert summary(html)["People"] == "3"  # head_a, manager, report1
    want = expected(by_type, lambda p: p.unit_id == trust.oak.id and p.staff_type is StaffType.employee, CORE)
    assert table(html, "by-staff-type") == [want["Employee"]]
    # the dates: report1's 90 in September counts, head_a's 80 of last year and the colleague's 100 in October do not
    assert {r[0]: r[1] for r in table(html, "scores")}["90–100%"] == "1"
    assert sum(int(r[1]) for r in table(html, "scores")) == 1
    assert [r[1] for r in table(html, "over-time")] == ["1"]
    # the form shows the filters chosen, and every CSV link carries them
    assert '<option value="employee" selected>' in html and f'<option value="{CORE}" selected>' in html
    assert 'value="2026-09-01"' in html and 'value="2026-09-30"' in html
    assert f'href="/dashboards/csv/scores.csv?{query.replace("&", "&amp;")}"' in html
    assert csv_rows(head, "by-staff-type", f"?{query}")[1:] == [want["Employee"]]
    # a module alone; a unit chosen by a trust lead
    assert summary(page(head, f"/dashboards/?module={PERSONAL}"))["Required modules"] == "6"
    assert summary(page(head))["Required modules"] == "12"
    lead = signed_in(make_client, trust.lead)
    html = page(lead, f"/dashboards/?unit={trust.central.id}&scope=0")
    assert f'<option value="{trust.central.id}" selected>' in html
    assert table(html, "by-unit") == [expected(by_unit, lambda p: p.unit_id == trust.central.id)["Central Team"]]
    assert f'href="/dashboards/csv/due.csv?unit={trust.central.id}"' in html


def test_bad_filter_values_are_named_not_a_server_error(make_client, trust):
    """Every problem at once, 400, and no figures (tests/dashboards/test_filters.py has each kind)."""
    lead = signed_in(make_client, trust.lead)
    with travel_to(TODAY):
        response = lead.get("/dashboards/?unit=abc&staff_type=wizard&module=no-such&from=yesterday&to=2026-13-01"
                            "&scope=7")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in ("Unit: give a unit by its number", "Staff type: &#39;wizard&#39; is not one of",
                    "Module: there is no module", "From: &#39;yesterday&#39; is not a date",
                    "To: 2026-13-01 is not a date", "Scope: &#39;7&#39; is not one of the views"):
        assert message in html, message
    assert 'class="dashboard-summary"' not in html
    with travel_to(TODAY):
        html = lead.get("/dashboards/?unit=99999&from=2026-10-01&to=2026-09-01").get_data(as_text=True)
        assert "Unit: there is no unit 99999." in html and "From: 2026-10-01 is after To, 2026-09-01" in html
        scores = lead.get("/dashboards/csv/scores.csv?from=nonsense&unit=x")
        assert scores.status_code == 400 and scores.mimetype == "text/plain"
        assert "From: 'nonsense' is not a date" in scores.get_data(as_text=True)
        assert lead.get("/dashboards/csv/nothing-like-this.csv").status_code == 404


# --- CSV against the database ------------------------------------------------------------------------

def test_completion_csv_files_hold_the_database_numbers(app, make_client, trust):
    app.config["MIN_GROUP_SIZE"] = 1  # nothing hidden: compare every row
    lead = signed_in(make_client, trust.lead)
    headers = ["People", "Required modules", "Completed", "Completed (%)", "Overdue", "Due soon", "Expired"]
    units = csv_rows(lead, "by-unit")
    assert units[0] == ["Unit", *headers]
    want = expected(by_unit)
    assert {r[0]: r for r in units[1:]} == want
    shares = [float(r[4]) for r in units[1:]]
    assert shares == sorted(shares, reverse=True)  # sorted by share, as the chart
    types = csv_rows(lead, "by-staff-type")
    assert types[0] == ["Staff type", *headers] and {r[0]: r for r in types[1:]} == expected(by_type)
    totals = [sum(int(r[i]) for r in want.values()) for i in (2, 5, 6, 7)]
    due = csv_rows(lead, "due")
    assert due[1:] == [["Overdue", str(totals[1]), f"{round(100 * totals[1] / totals[0], 1)}"],
                       ["Due soon", str(totals[2]), f"{round(100 * totals[2] / totals[0], 1)}"],
                       ["Expired", str(totals[3]), f"{round(100 * totals[3] / totals[0], 1)}"]]
    assert int(due[3][1]) == 1 and int(due[2][1]) == 1  # head_a's expired pass; the manager's module due soon


def test_score_time_and_authorisation_csv_files_hold_the_database_numbers(app, make_client, trust):
    lead = signed_in(make_client, trust.lead)
    start, end = datetime(2026, 9, 1, tzinfo=UTC), datetime(2027, 9, 1, tzinfo=UTC)
    progress_rows = db.session.scalars(select(ModuleProgress).where(ModuleProgress.required)).all()
    scores = Counter(min(int(p.last_score) // 10, 9) * 10 for p in progress_rows
                     if p.last_score is not None and start <= p.last_submitted_at < end)
    got = csv_rows(lead, "scores")
    assert got[0] == ["Score", "Results"]
    assert got[1:] == [[f"{low}–{low + 9 if low < 90 else 100}%", str(scores[low])] for low in range(0, 100, 10)]
    assert scores[90] == 4  # 90, 91, 95, 100

    firsts: dict[tuple[int, int], datetime] = {}
    for a in db.session.scalars(select(Attempt).where(Attempt.passed.is_(True))):
        if start <= a.submitted_at < end:
            key = (a.person_id, a.module_id)
            firsts[key] = min(firsts.get(key, a.submitted_at), a.submitted_at)
    weeks = Counter(DAY0 + timedelta(weeks=(moment.date() - DAY0).days // 7) for moment in firsts.values())
    rows, running = [], 0
    for week in sorted(weeks):
        running += weeks[week]
        rows.append([week.isoformat(), str(weeks[week]), str(running), f"{round(100 * running / 30, 1)}"])
    assert csv_rows(lead, "over-time")[1:] == rows
    assert rows[-1][2] == "8"

    states = Counter(r.state for r in db.session.scalars(select(Request).where(
        Request.kind == RequestKind.business_use)))
    got = {r[0]: r[1] for r in csv_rows(lead, "authorisations")[1:]}
    assert got == {s.label: str(states[s]) for s in (RequestState.submitted, RequestState.training_required,
                                                     RequestState.approved, RequestState.declined,
                                                     RequestState.revoked, RequestState.lapsed,
                                                     RequestState.withdrawn)}


def test_csv_is_a_download_with_formulas_guarded(make_client, trust):
    trust.oak.name = "=HYPERLINK(\"http://evil\")"
    db.session.commit()
    lead = signed_in(make_client, trust.lead)
    with travel_to(TODAY):
        response = lead.get("/dashboards/csv/by-unit.csv")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="by-unit-{TODAY.isoformat()}.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    names = [r[0] for r in csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")))]
    assert "'=HYPERLINK(\"http://evil\")" in names


# --- served safely ----------------------------------------------------------------------------------

def test_plotly_is_served_by_the_app_and_the_page_keeps_a_strict_csp(make_client, trust):
    lead = signed_in(make_client, trust.lead)
    with travel_to(TODAY):
        response = lead.get("/dashboards/")
        js = lead.get("/dashboards/vendor/plotly.min.js")
    html = response.get_data(as_text=True)
    assert js.status_code == 200 and js.mimetype == "text/javascript" and b"plotly.js" in js.get_data()[:200]
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    scripts = re.findall(r"<script([^>]*)>", html)
    for attrs in scripts:
        assert 'type="application/json"' in attrs or f'nonce="{nonce}"' in attrs, attrs
    assert '<script src="/dashboards/vendor/plotly.min.js" nonce=' in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html)  # nothing from another site
    assert "cdn" not in html.lower()
    assert 'id="plotly.js-style-global" class="no-inline-styles"' in html  # plotly's CSS from static/, not inline
    for placeholder in plotly_style_placeholders():  # the <style> plotly would add on load is never added
        assert f'<template id="{placeholder}"></template>' in html
    assert "<style" not in html and " style=" not in html
    for chart in ("by-unit", "by-staff-type", "over-time", "due", "scores", "authorisations"):
        assert figure(html, chart)["data"], chart


def test_the_plotly_stylesheet_was_copied_from_the_bundled_plotly():
    """Upgrading plotly means copying its rules again (see templates/dashboards/_chart.html)."""
    css = (PROJECT_ROOT / "static" / "css" / "plotly.css").read_text(encoding="utf-8")
    assert f"plotly.js v{plotly_version()}:" in css and ".js-plotly-plot .plotly .main-svg" in css


def test_the_training_year_and_the_date_range():
    assert training_year(date(2026, 8, 31)) == (date(2025, 9, 1), date(2026, 8, 31))
    assert training_year(date(2026, 9, 1)) == (date(2026, 9, 1), date(2027, 8, 31))
    assert date_range(Filters(), TODAY) == (date(2026, 9, 1), date(2027, 8, 31))
    assert date_range(Filters(date_from=date(2026, 1, 5)), TODAY) == (date(2026, 1, 5), TODAY)
    assert date_range(Filters(date_to=date(2026, 3, 1)), TODAY) == (date(2025, 9, 1), date(2026, 3, 1))
    both = Filters(date_from=date(2026, 1, 5), date_to=date(2026, 2, 5))
    assert date_range(both, TODAY) == (date(2026, 1, 5), date(2026, 2, 5))


def test_a_name_cannot_break_out_of_the_chart_data(make_client, trust):
    trust.oak.name = "</script><script>alert(1)</script>"
    db.session.commit()
    raw = to_json(go.Figure(go.Bar(x=["</script><!--"], y=[1])))
    # No < in the block, and the label is the name as plotly's text (entities it draws as the characters)
    assert "<" not in raw and json.loads(raw)["data"][0]["x"] == ["&lt;/script&gt;&lt;!--"]
    html = page(signed_in(make_client, trust.lead))
    assert "<script>alert(1)" not in html
    names = [unescape(n) for trace in figure(html, "by-unit")["data"] for n in trace["y"]]
    assert trust.oak.name in names  # the chart still says exactly the name


def test_every_number_is_on_the_page_without_javascript(make_client, trust):
    html = page(signed_in(make_client, trust.lead))
    for chart in ("by-unit", "by-staff-type", "over-time", "due", "scores", "authorisations"):
        assert table(html, chart), chart
        assert f'href="/dashboards/csv/{chart}.csv"' in html
    assert "<caption>Completion by unit</caption>" in html and '<th scope="col">Unit</th>' in html


# --- the number of statements does not grow with the number of people ------------------------------

def count_statements(client, url: str) -> int:
    with travel_to(TODAY):
        return shared_count_statements(client, url)


def add_people(how_many: int, trust: Trust, start: int) -> None:
    """Bulk inserts: people in the three units, their required modules, some passes, scores and requests."""
    units = [trust.oak.id, trust.river.id, trust.central.id]
    types = list(StaffType)
    ids = db.session.scalars(insert(Person).returning(Person.id), [
        dict(email=f"bulk{start + i}@example.org", first_name="Bulk", last_name=str(start + i),
             staff_type=types[i % len(types)], job_title="", unit_id=units[i % 3], active=True,
             line_manager_id=trust.head_a.id if i % 3 == 0 else None, start_date=DAY0)
        for i in range(how_many)]).all()
    versions = list(trust.modules.values())
    when = datetime(2026, 9, 20, 10, tzinfo=UTC)
    db.session.execute(insert(ModuleProgress), [
        dict(person_id=pid, module_id=v.module_id, required=True, reason="all_staff", assigned_on=DAY0,
             due_on=DAY0 + timedelta(days=30), attempts_count=1 if n % 2 else 0,
             last_score=Decimal(40 + n % 60) if n % 2 else None, last_passed=bool(n % 4 == 1) if n % 2 else None,
             last_submitted_at=when if n % 2 else None, valid_until=date(2027, 9, 20) if n % 4 == 1 else None)
        for n, pid in enumerate(ids) for v in versions])
    db.session.execute(insert(Attempt), [
        dict(person_id=pid, module_id=versions[0].module_id, module_version_id=versions[0].id,
             policy_version_id=versions[0].policy_version_id, state=AttemptState.submitted, started_at=when,
             submitted_at=when + timedelta(days=n % 40), score=Decimal(85), passed=True, kind="full")
        for n, pid in enumerate(ids) if n % 4 == 1])
    db.session.execute(insert(Request), [
        dict(kind=RequestKind.business_use, state=list(RequestState)[n % 7], requester_id=pid,
             approver_id=trust.ceo.id, unit_id=units[n % 3])
        for n, pid in enumerate(ids) if n % 5 == 0])
    db.session.commit()


def test_each_page_and_csv_takes_as_many_statements_for_1000_people_as_for_10(make_client, trust):
    # (a filtered view hidden as a small group would skip its queries: these views are 5 people or more at both sizes)
    urls = ["/dashboards/", f"/dashboards/?unit={trust.oak.id}&module={CORE}&from=2026-09-01",
            *(f"/dashboards/csv/{c}.csv" for c in ("by-unit", "by-staff-type", "over-time", "due", "scores",
                                                  "authorisations"))]
    head_urls = ["/dashboards/", "/dashboards/?scope=1", "/dashboards/csv/over-time.csv", "/dashboards/csv/scores.csv"]
    lead, head = signed_in(make_client, trust.lead), signed_in(make_client, trust.head_a)
    counts: dict[int, list[int]] = {}
    added = 0
    for size in (10, 1000):
        add_people(size - added, trust, added)
        added = size
        page(lead)  # warm up
        counts[size] = ([count_statements(lead, u) for u in urls] + [count_statements(head, u) for u in head_urls])
    assert counts[10] == counts[1000], counts
    assert db.session.query(Person).count() == 15 + 1000
    with travel_to(TODAY):
        html = lead.get("/dashboards/").get_data(as_text=True)
    assert int(summary(html)["People"]) == 15 + 1000


def test_odd_unit_values_are_refused_not_a_server_error():
    from lms.dashboards.scope import Filters

    for value in ("²", "9" * 40, "-1", "0", "1 OR 1=1", "2147483648"):
        filters, problems = Filters.from_args({"unit": value})
        assert filters.unit_id is None and problems == [
            "unit: give a unit by its number, a whole number from 1 to 2147483647"], value
    assert Filters.from_args({"unit": "2147483647"}) == (Filters(unit_id=2147483647), [])
