"""The understanding dashboard: clause heatmap and scenario analysis, in SQL, private and scoped."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, insert, select

from lms.clock import travel_to
from lms.dashboards import understanding
from lms.dashboards.scope import Filters, Scope
from lms.extensions import db
from lms.models import (
    Answer,
    Attempt,
    AttemptState,
    Contest,
    Module,
    ModuleVersion,
    Outcome,
    Person,
    Role,
    Scenario,
    StaffType,
    Unit,
)
from lms.training.grading import POINTS
from tests.sqlcount import count_statements
from tests.training.helpers import answer, drawn, right_answer, scenario_at, start, wrong_answer

SLUG = "core-social-media"
LOW = "crest-profile-picture"  # missed by low scorers only
HIGH = "fake-head-closure-tweet"  # missed by high scorers: "policy wording may be unclear"
EASY = "hiking-views-my-own"  # compliant, everyone right
WHEN = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
TODAY = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)  # the training year 1 Sep 2025 - 31 Aug 2026 holds WHEN
TRUST = Scope("The whole trust")
PAGE = "/dashboards/understanding"


@pytest.fixture(autouse=True)
def fixed_today():
    with travel_to(TODAY):
        yield


# --- building answers -------------------------------------------------------------------------

def core() -> ModuleVersion:
    return db.session.scalar(select(ModuleVersion).join(Module).where(Module.slug == SLUG, ModuleVersion.is_current))


def scenarios() -> dict[str, Scenario]:
    return {s.key: s for s in core().scenarios}


def given(scenario: Scenario, outcome: Outcome, clause: str | None = None) -> tuple[str, str | None]:
    """The verdict and clause that earn this outcome on this scenario."""
    if outcome is Outcome.correct:
        return ("breach", scenario.clauses[0]) if scenario.verdict == "breach" else ("compliant", None)
    if outcome is Outcome.wrong_clause:
        assert scenario.verdict == "breach" and clause not in scenario.clauses
        return "breach", clause or "6.4"
    return ("compliant", None) if scenario.verdict == "breach" else ("breach", clause or "4.3")


def attempt_row(person_id: int, version: ModuleVersion, score: float, when: datetime = WHEN, kind: str = "full") -> dict:
    return dict(person_id=person_id, module_id=version.module_id, module_version_id=version.id,
                policy_version_id=version.policy_version_id, state=AttemptState.submitted, started_at=when,
                submitted_at=when, score=Decimal(str(score)), points=Decimal("0"), passed=score >= 80, kind=kind)


def answer_row(attempt_id: int, scenario: Scenario, outcome: Outcome, clause: str | None = None,
               when: datetime = WHEN) -> dict:
    verdict, chosen = given(scenario, outcome, clause)
    return dict(attempt_id=attempt_id, scenario_id=scenario.id, verdict=verdict, clause=chosen, outcome=outcome,
                points=POINTS[outcome], sure=True, answered_at=when)


def add_attempt(person: Person, score: float, answers: list[tuple], when: datetime = WHEN) -> int:
    """A submitted attempt with these (scenario, outcome[, clause]) answers, written directly."""
    version = core()
    attempt_id = db.session.scalar(insert(Attempt).returning(Attempt.id), attempt_row(person.id, version, score, when))
    db.session.execute(insert(Answer), [answer_row(attempt_id, *a, when=when) for a in answers])
    db.session.commit()
    return attempt_id


def percent_rank(values: list[float], value: float, descending: bool) -> float:
    """PERCENT_RANK as SQL defines it: (rank - 1) / (rows - 1), rank = 1 + how many come strictly before."""
    before = sum(v > value if descending else v < value for v in values)
    return before / (len(values) - 1) if len(values) > 1 else 0.0


# --- the people --------------------------------------------------------------------------------

@dataclass
class Trust:
    a: Unit
    b: Unit
    lead: Person
    head_a: Person
    head_b: Person
    staff_a: list[Person]
    staff_b: list[Person]


@pytest.fixture
def trust(people, content) -> Trust:
    a, b, central = people.unit("Oakfield Primary"), people.unit("Riverside Academy"), people.unit("Central Team")
    lead = people.person(unit=central, roles=(Role.trust_lead,), email="lead@example.org", sync=False)
    head_a = people.person(unit=a, roles=(Role.headteacher,), email="head.a@example.org", sync=False)
    head_b = people.person(unit=b, roles=(Role.headteacher,), email="head.b@example.org", sync=False)
    staff_a = [people.person(unit=a, sync=False) for _ in range(6)]
    staff_b = [people.person(unit=b, sync=False) for _ in range(4)]
    return Trust(a, b, lead, head_a, head_b, staff_a, staff_b)


@dataclass
class Spread:
    scores: dict[int, float]  # attempt id -> score
    outcomes: dict[str, dict[int, tuple]]  # scenario key -> attempt id -> (outcome, clause)


@pytest.fixture
def spread(trust) -> Spread:
    """Ten attempts by ten people (6 in A, 4 in B) scoring 10..100: LOW missed by the bottom, HIGH by the top."""
    s = scenarios()
    scores, outcomes = {}, defaultdict(dict)
    wrong_clauses = {100: "6.4", 90: "6.4", 80: "5.2"}
    for i, person in enumerate(trust.staff_a + trust.staff_b):
        score = 10.0 * (i + 1)
        low = (Outcome.incorrect, None) if score <= 30 else (Outcome.correct, None)
        high = (Outcome.wrong_clause, wrong_clauses[score]) if score >= 80 else (Outcome.correct, None)
        easy = (Outcome.correct, None)
        attempt_id = add_attempt(person, score, [(s[LOW], *low), (s[HIGH], *high), (s[EASY], *easy)])
        scores[attempt_id] = score
        for key, result in ((LOW, low), (HIGH, high), (EASY, easy)):
            outcomes[key][attempt_id] = result
    return Spread(scores, dict(outcomes))


def expected_stats(spread: Spread, key: str) -> dict:
    """The scenario's numbers worked out here in Python, from what the test wrote."""
    answers = spread.outcomes[key]
    values = list(spread.scores.values())
    top = [a for a in answers if percent_rank(values, spread.scores[a], descending=True) <= 0.27]
    bottom = [a for a in answers if percent_rank(values, spread.scores[a], descending=False) <= 0.27]

    def right(ids):
        return sum(answers[a][0] is Outcome.correct for a in ids) / len(ids)

    wrong = defaultdict(int)
    for outcome, clause in answers.values():
        if clause and outcome is not Outcome.correct:
            wrong[clause] += 1
    return dict(answered=len(answers), share=right(list(answers)),
                wrong_clause=sum(o is Outcome.wrong_clause for o, _ in answers.values()) / len(answers),
                top=right(top), index=right(top) - right(bottom),
                wrong_choice=max(sorted(wrong), key=lambda c: wrong[c]) if wrong else None)


# --- the queries -------------------------------------------------------------------------------

def by_key(rows) -> dict:
    return {r.key: r for r in rows}


def test_scenario_stats_match_an_independent_calculation(spread):
    rows = by_key(understanding.scenario_analysis(db.session, TRUST, Filters()))
    assert set(rows) == {LOW, HIGH, EASY}
    for key in (LOW, HIGH, EASY):
        want, got = expected_stats(spread, key), rows[key]
        assert got.answered == want["answered"] == 10 and got.people == 10
        assert got.share_correct == pytest.approx(want["share"])
        assert got.share_wrong_clause == pytest.approx(want["wrong_clause"])
        assert got.top_share == pytest.approx(want["top"])
        assert got.discrimination == pytest.approx(want["index"])
        assert got.wrong_choice == want["wrong_choice"]
    assert rows[LOW].discrimination > 0 and not rows[LOW].unclear
    assert rows[HIGH].discrimination < 0 and rows[HIGH].unclear
    assert rows[HIGH].wrong_choice == "6.4" and rows[HIGH].wrong_choice_count == 2
    assert rows[EASY].discrimination == 0


def take_core(make_client, person: Person, wrong_when) -> list[tuple[str, str, bool, int]]:
    """Take the core module through the pages, answering wrongly where `wrong_when(scenario)`.

    Returns (unit, clause group, right, person id) per answer."""
    client = make_client()
    client.login(person.email)
    attempt_id = start(client)
    given_answers = []
    for position in range(1, drawn(attempt_id) + 1):
        scenario = scenario_at(attempt_id, position)
        wrong = wrong_when(scenario)
        answer(client, attempt_id, position, wrong_answer(scenario) if wrong else right_answer(scenario))
        given_answers.append((person.unit.name, scenario.clause_group, not wrong, person.id))
    assert client.post(f"/attempts/{attempt_id}/finish").status_code == 302
    return given_answers


def test_heatmap_shares_match_the_answers_given_through_the_pages(make_client, trust):
    given_answers = []
    given_answers += take_core(make_client, trust.staff_a[0], lambda s: False)
    given_answers += take_core(make_client, trust.staff_a[1], lambda s: s.verdict == "compliant")
    given_answers += take_core(make_client, trust.staff_b[0], lambda s: s.clause_group == "4.4")
    expected, who = defaultdict(list), defaultdict(set)
    for unit, group, right, person_id in given_answers:
        expected[(unit, group)].append(right)
        who[(unit, group)].add(person_id)
    db.session.expire_all()
    cells = understanding.heatmap(db.session, TRUST, Filters())
    assert {(c.unit, c.group): (c.answers, c.correct, c.people) for c in cells} == {
        k: (len(v), sum(v), len(who[k])) for k, v in expected.items()}
    assert {c.share for c in cells if c.unit == "Riverside Academy" and c.group == "4.4"} == {0}
    assert {c.share for c in cells if c.unit == "Riverside Academy" and c.group != "4.4"} == {1}


# --- the page --------------------------------------------------------------------------------------

class Tables(HTMLParser):
    """The rows of each chart's table, by the id of its section; the page's text too."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.section: str | None = None
        self.cell: list[str] | None = None
        self.row: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section" and "chart" in (attrs.get("class") or ""):
            self.section = attrs["id"]
            self.tables[self.section] = []
        elif tag == "tr" and self.section:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.tables[self.section].append(self.row)
            self.row = None
        elif tag == "section":
            self.section = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def text(response) -> str:
    return response.get_data(as_text=True)


def signed_in(make_client, person: Person):
    client = make_client()
    client.login(person.email)
    return client


def table(client, url: str, chart: str) -> list[list[str]]:
    """The chart's table as header + rows, the CSV's way: a dash is an empty cell."""
    response = client.get(url)
    assert response.status_code == 200
    rows = Tables(text(response)).tables[chart]
    return [["" if c == "–" else c for c in row] for row in rows]


def heat_rows(client, url: str = PAGE) -> dict[tuple[str, str], list[str]]:
    rows = table(client, url, "heatmap")[1:]
    return {(r[0], r[1].split()[0]): r[2:] for r in rows if len(r) > 1}


def scenario_rows(client, url: str = PAGE) -> dict[str, dict[str, str]]:
    header, *rows = table(client, url, "scenarios")
    return {r[0]: dict(zip(header, r, strict=True)) for r in rows if len(r) == len(header)}


def contest(person: Person, attempt_id: int, key: str, reason: str) -> None:
    db.session.add(Contest(person_id=person.id, attempt_id=attempt_id, scenario_id=scenarios()[key].id,
                           reason=reason, created_at=WHEN))
    db.session.commit()


def test_the_page_flags_the_scenario_high_scorers_miss_with_its_contest(make_client, trust, spread):
    top_attempt = max(spread.scores, key=spread.scores.get)
    contest(trust.staff_b[-1], top_attempt, HIGH, "The policy says nothing about spoof accounts of the head.")
    client = signed_in(make_client, trust.lead)
    rows = scenario_rows(client)
    assert list(rows)[0] == HIGH  # flagged first
    assert rows[HIGH]["Flag"] == "policy wording may be unclear" and rows[HIGH]["Contests"] == "1"
    assert rows[HIGH]["Most chosen wrong clause"] == "6.4" and rows[HIGH]["Right verdict, wrong clause (%)"] == "30.0"
    assert float(rows[HIGH]["Discrimination index"]) < 0 < float(rows[LOW]["Discrimination index"])
    assert rows[LOW]["Flag"] == "" and rows[LOW]["Right (%)"] == "70.0" and rows[LOW]["Answers"] == "10"
    page = text(client.get(PAGE))
    section = page[page.index('id="unclear-title"'):]
    assert "The policy says nothing about spoof accounts of the head." in section
    assert trust.staff_b[-1].full_name not in page  # the trust spans units: no contester's name
    assert f'href="/library/modules/{SLUG}#{HIGH}"' in section
    assert scenarios()[HIGH].explanation[:60] in section.replace("&#39;", "'").replace("&#34;", '"')
    assert LOW not in section


def test_a_headteacher_sees_their_unit_only_with_names_and_no_library_link(make_client, trust, spread):
    attempt_a = next(a for a, score in spread.scores.items() if score == 60)  # staff_a[5]
    contest(trust.staff_a[5], attempt_a, LOW, "Our crest is on the school's own website anyway.")
    client = signed_in(make_client, trust.head_a)
    heat = heat_rows(client)
    assert {unit for unit, _ in heat} == {"Oakfield Primary"}
    assert {unit for unit, _ in heat_rows(client, f"{PAGE}?unit={trust.b.id}")} == {"Oakfield Primary"}  # ignored
    rows = scenario_rows(client)
    assert rows[LOW]["Answers"] == rows[LOW]["People"] == "6"  # staff_a scored 10..60: low scorers
    assert rows[LOW]["Right (%)"] == "50.0" and rows[LOW]["Contests"] == "1"
    page = text(client.get(PAGE))
    assert "Riverside Academy" not in page
    assert "/library/modules/" not in page


def test_groups_under_the_threshold_show_fewer_than_5_across_units(app, make_client, trust, spread):
    lead = signed_in(make_client, trust.lead)
    heat = heat_rows(lead)
    oak, river = heat[("Oakfield Primary", "4.4")], heat[("Riverside Academy", "4.4")]
    assert oak == ["6", "6", "50.0"]  # people, answers, right
    assert river == ["fewer than 5", "", ""]
    page = text(lead.get(PAGE))
    assert "fewer than 5" in page
    # Drilled down to Riverside (4 people), the scenario rows hide their scores and flag nothing.
    rows = scenario_rows(lead, f"{PAGE}?unit={trust.b.id}")
    assert rows[HIGH]["People"] == rows[HIGH]["Right (%)"] == "fewer than 5"
    assert rows[HIGH]["Discrimination index"] == rows[HIGH]["Most chosen wrong clause"] == rows[HIGH]["Flag"] == ""
    # Riverside's own headteacher sees their unit's numbers.
    assert heat_rows(signed_in(make_client, trust.head_b))[("Riverside Academy", "4.4")] == ["4", "4", "100.0"]
    # The threshold is configurable.
    app.config["MIN_GROUP_SIZE"] = 3
    assert heat_rows(lead)[("Riverside Academy", "4.4")] == ["4", "4", "100.0"]


def test_date_range_and_staff_type_filters_change_the_counts(make_client, people, trust, spread):
    s = scenarios()
    volunteer = people.person(unit=trust.a, staff_type=StaffType.volunteer, sync=False)
    add_attempt(volunteer, 50, [(s[LOW], Outcome.incorrect)], when=WHEN - timedelta(days=40))
    lead = signed_in(make_client, trust.lead)
    assert scenario_rows(lead)[LOW]["Answers"] == "11"
    assert scenario_rows(lead, f"{PAGE}?staff_type=volunteer")[LOW]["Answers"] == "1"
    assert scenario_rows(lead, f"{PAGE}?staff_type=employee")[LOW]["Answers"] == "10"
    assert scenario_rows(lead, f"{PAGE}?from=2026-03-01&to=2026-03-10")[LOW]["Answers"] == "10"
    assert scenario_rows(lead, f"{PAGE}?from=2026-01-01&to=2026-02-28")[LOW]["Answers"] == "1"
    assert scenario_rows(lead, f"{PAGE}?from=2026-03-11") == {}
    assert heat_rows(lead, f"{PAGE}?to=2026-03-09")[("Oakfield Primary", "4.4")] == ["fewer than 5", "", ""]
    unknown = lead.get(f"{PAGE}?module=no-such-module")  # said so, and no figures for some other selection
    assert unknown.status_code == 400 and "Module: there is no module &#39;no-such-module&#39;." in text(unknown)
    assert 'id="scenarios"' not in text(unknown)


def read_csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


@pytest.mark.parametrize(("chart", "url"), [("heatmap", "/dashboards/csv/understanding-heatmap.csv"),
                                            ("scenarios", "/dashboards/csv/scenario-analysis.csv")])
def test_each_csv_holds_exactly_its_table(make_client, trust, spread, chart, url):
    trust.a.name = "=HYPERLINK(1)"  # a formula-looking unit name is guarded in the CSV
    db.session.commit()
    lead = signed_in(make_client, trust.lead)
    query = "?staff_type=employee&from=2026-01-01&to=2026-03-31"
    response = lead.get(url + query)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    rows = read_csv(response)
    shown = table(lead, PAGE + query, chart)
    assert len(rows) > 1
    unguarded = [[c[1:] if c.startswith("'=") else c for c in row] for row in rows]
    assert unguarded == shown
    if chart == "heatmap":
        assert any(row[0] == "'=HYPERLINK(1)" for row in rows)
    else:
        index = rows[0].index("Discrimination index")
        assert any(row[index].startswith("-") for row in rows[1:])  # a negative index keeps its sign


def test_only_people_with_a_dashboard_scope_see_the_page(make_client, client, trust):
    assert client.get(PAGE).status_code == 302  # sign in first
    assert signed_in(make_client, trust.staff_a[0]).get(PAGE).status_code == 403
    assert signed_in(make_client, trust.staff_a[0]).get("/dashboards/csv/scenario-analysis.csv").status_code == 403
    page = text(signed_in(make_client, trust.lead).get(PAGE))
    assert 'href="/dashboards/"' in page  # the completion dashboard
    assert 'href="/dashboards/understanding"' in text(signed_in(make_client, trust.lead).get("/dashboards/"))
    assert 'class="chart-data"' not in page  # nothing to draw without answers
    assert "No answers for these filters." in page


def test_the_heatmap_is_drawn_with_blank_cells_for_small_groups(make_client, trust, spread):
    page = text(signed_in(make_client, trust.lead).get(PAGE))
    assert page.count('class="chart-data"') == 1 and '"type":"heatmap"' in page
    assert '"colorscale"' in page and '"zmin":0' in page and '"zmax":100' in page
    figure = page[page.index('class="chart-data"'):]
    figure = figure[figure.index(">") + 1:figure.index("</script>")]
    data = json.loads(figure)["data"][0]
    rows = dict(zip(data["y"], data["z"], strict=True))
    assert set(rows) == {"Oakfield Primary", "Riverside Academy"}
    assert all(v is None for v in rows["Riverside Academy"])  # 4 people: blank
    assert any(v is not None for v in rows["Oakfield Primary"])


# --- statements ------------------------------------------------------------------------------------



def add_people_with_answers(unit: Unit, count: int, first: int) -> None:
    """`count` people in one unit, each with a submitted attempt answering three scenarios (bulk inserts)."""
    s = scenarios()
    version = core()
    person_ids = db.session.scalars(insert(Person).returning(Person.id, sort_by_parameter_order=True), [
        dict(email=f"bulk{first + i}@example.org", first_name="Bulk", last_name=str(first + i),
             staff_type=StaffType.employee, unit_id=unit.id, active=True) for i in range(count)]).all()
    attempt_ids = db.session.scalars(insert(Attempt).returning(Attempt.id, sort_by_parameter_order=True), [
        attempt_row(pid, version, float(i % 11 * 10)) for i, pid in enumerate(person_ids)]).all()
    rows = []
    for i, attempt_id in enumerate(attempt_ids):
        high_scorer = i % 11 >= 8
        rows += [answer_row(attempt_id, s[LOW], Outcome.correct if high_scorer else Outcome.incorrect),
                 answer_row(attempt_id, s[HIGH], Outcome.wrong_clause if high_scorer else Outcome.correct, "6.4"),
                 answer_row(attempt_id, s[EASY], Outcome.correct)]
    db.session.execute(insert(Answer), rows)
    db.session.execute(insert(Contest), [dict(person_id=person_ids[0], attempt_id=attempt_ids[0],
                                              scenario_id=s[HIGH].id, reason="Unclear to me.", created_at=WHEN)])
    db.session.commit()


def test_the_page_takes_as_many_statements_for_1000_people_as_for_10(make_client, trust):
    lead = signed_in(make_client, trust.lead)
    head = signed_in(make_client, trust.head_a)
    counts = {}
    for size, unit, added in ((10, trust.a, 10), (1000, trust.b, 990)):
        add_people_with_answers(unit, added, first=size - added)
        lead.get(PAGE)  # warm up
        counts[size] = (count_statements(lead, PAGE), count_statements(head, PAGE),
                        count_statements(lead, "/dashboards/csv/scenario-analysis.csv"),
                        count_statements(lead, "/dashboards/csv/understanding-heatmap.csv"))
        rows = scenario_rows(lead)
        assert rows[HIGH]["Flag"] == "policy wording may be unclear"
    assert counts[10] == counts[1000], counts
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 3 * 1000
