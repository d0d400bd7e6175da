"""Every filter of the dashboards, their CSV files, the team page and the register, driven by Hypothesis.

Whatever is put in the query string (dates valid, impossible or out of range, huge and negative
numbers, junk, any Unicode, a parameter twice) the answer is 200, or 400/422 with a message that
names a parameter that was given, never a 500 (issue 15, finding 4). The dates are also held to
an oracle of their own: a date the dashboards cannot cover must be refused, never quietly dropped.

The small trust of tests/dashboards is built once per test and reused by every example; each
test's examples take a few seconds.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.clock import travel_to
from lms.dashboards.completion_page import CHARTS
from lms.dashboards.understanding_page import CSV_FILES
from lms.extensions import db
from lms.query_params import EARLIEST, LATEST, label, said
from tests.dashboards.test_pages import CORE, TODAY, modules, signed_in, trust, two_modules  # noqa: F401 - fixtures

SETTINGS = settings(max_examples=60, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

DASHBOARD_URLS = ("/dashboards/", "/dashboards/understanding",
                  *(f"/dashboards/csv/{name}.csv" for name in (*CHARTS, *CSV_FILES)))
DASHBOARD_NAMES = ("scope", "unit", "unit_name", "staff_type", "module", "from", "to")

# --- values ---------------------------------------------------------------------------------------

plain_text = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=30)
any_text = st.text(max_size=12)  # control characters too: refused before any view, naming the parameter
numbers = st.one_of(st.integers(-10**40, 10**40), st.integers(-3, 12)).map(str)
valid_dates = st.dates(EARLIEST, LATEST).map(date.isoformat)
far_dates = st.dates(date(1, 1, 1), date(9999, 12, 31)).map(date.isoformat)
odd_dates = st.from_regex(r"[0-9]{4}-(0[0-9]|1[0-9]|[2-9][0-9])-(3[0-9]|[4-9][0-9]|00)", fullmatch=True)
date_like = st.from_regex(r"[0-9０-９]{1,5}[-/.]?[0-9]{1,3}[-/.]?[0-9]{1,3}(T[0-9:]{0,8})?", fullmatch=True)
known = st.sampled_from(["", "0", "1", "employee", "volunteer", CORE, "reports", "unit", "Oakfield Primary",
                         "riverside academy", "2026-09-01", "2026-10-15"])

value = st.one_of(known, valid_dates, far_dates, odd_dates, date_like, numbers, plain_text, any_text)


def query_of(names: tuple[str, ...]) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Some of `names`, each with a value, now and then one given twice."""
    pair = st.tuples(st.sampled_from(names), value)
    return st.lists(pair, min_size=1, max_size=5)


# --- what an answer must be -----------------------------------------------------------------------

_SUMMARY_ITEM = re.compile(r'<li>(?:<a href="#[a-z_]+">)?([A-Z][a-z ]*): ')
_CONTROL = re.compile(r"The query parameter &#39;([^&]*)&#39; contains|The query parameter '([^']*)' contains")


def named_in(body: str, mimetype: str) -> set[str]:
    """The parameters (as people read them) a 400 or 422 answer says were wrong."""
    if mimetype == "text/plain":
        found = {line.split(":", 1)[0] for line in body.splitlines()[1:] if ":" in line}
    else:
        found = set(_SUMMARY_ITEM.findall(body))
    found |= {label(a or b).capitalize() for a, b in _CONTROL.findall(body)}
    return found


def check(client, url: str, query: list[tuple[str, str]], also: tuple[int, ...] = ()) -> tuple[int, set[str]]:
    address = f"{url}?{urlencode(query)}"
    try:
        with travel_to(TODAY):
            response = client.get(address)
    except Exception as exc:  # TESTING lets a server error through: the 500 this test is about
        db.session.rollback()
        raise AssertionError(f"GET {address}: 500 ({type(exc).__name__}: {exc})") from exc
    status = response.status_code
    assert status in (200, 400, 422, *also), f"GET {address}: {status}"
    if status not in (400, 422):
        return status, set()
    body = response.get_data(as_text=True)
    named = named_in(body, response.mimetype)
    given = {said(label(n))[:-1] for n, _ in query} | ({"Unit"} if any(n == "unit_name" for n, _ in query) else set())
    assert named, f"GET {address}: {status} without a problem naming a parameter:\n{body[:2000]}"
    assert named <= given, f"GET {address}: names {named - given}, which was not given"
    return status, named


def out_of_reach(text: str) -> bool:
    """A date the dashboards cannot use, by a rule of its own: not YYYY-MM-DD, not on the calendar, or out of range."""
    if not text:
        return False
    if len(text) != 10 or not text.isascii() or text[4] != "-" or text[7] != "-":
        return True
    try:
        day = date(int(text[:4]), int(text[5:7]), int(text[8:]))
    except ValueError:
        return True
    return not EARLIEST <= day <= LATEST


# --- the properties -------------------------------------------------------------------------------

def test_every_dashboard_page_and_csv_answers_200_or_names_the_parameter(make_client, trust):  # noqa: F811
    lead = signed_in(make_client, trust.lead)

    @SETTINGS
    @given(st.sampled_from(DASHBOARD_URLS), query_of(DASHBOARD_NAMES))
    def property_(url, query):
        check(lead, url, query)

    property_()


def test_a_date_the_dashboards_cannot_cover_is_refused_by_name(make_client, trust):  # noqa: F811
    lead = signed_in(make_client, trust.lead)
    dates = st.one_of(valid_dates, far_dates, odd_dates, date_like, st.just(""))

    @SETTINGS
    @given(st.sampled_from(DASHBOARD_URLS), dates, dates)
    def property_(url, start, end):
        status, named = check(lead, url, [("from", start), ("to", end)])
        bad = {name for name, text in (("From", start), ("To", end)) if out_of_reach(text)}
        if bad:
            assert status == 400 and bad <= named, (start, end, status, named)
        elif start and end and start > end:
            assert status == 400 and named == {"From"}, (start, end, status, named)
        else:
            assert status == 200, (start, end, status, named)

    property_()


def test_a_headteachers_dashboards_answer_200_or_name_the_parameter(make_client, trust):  # noqa: F811
    """One unit and their reports: two scopes, and a unit filter that is ignored rather than widening the view.

    (No "by unit" for a view of one unit: its CSV is a 404, as the page has no such chart.)"""
    head = signed_in(make_client, trust.head_a)

    @SETTINGS
    @given(st.sampled_from([u for u in DASHBOARD_URLS if "by-unit" not in u]), query_of(DASHBOARD_NAMES))
    def property_(url, query):
        check(head, url, query)

    property_()


def test_the_team_page_and_the_register_answer_200_or_name_the_parameter(make_client, trust):  # noqa: F811
    head = signed_in(make_client, trust.head_a)

    @SETTINGS
    @given(st.sampled_from(["/team", "/requests/register", "/requests/register.csv"]),
           query_of(("page", "scope", "unit", "from", "to")))
    def property_(url, query):
        # A team the viewer does not have is as unknown as a misspelt one: 404 (the `team.scope` rule).
        scopes = [v for n, v in query if n == "scope"]
        also = (404,) if url == "/team" and len(scopes) == 1 and scopes[0] not in ("", "unit", "reports") else ()
        check(head, url, query, also)

    property_()


# --- examples -------------------------------------------------------------------------------------

def test_team_page_numbers_at_the_edge(make_client, trust):  # noqa: F811
    head = signed_in(make_client, trust.head_a)
    for odd in ("0", "-2", "two", str(10**30), "１", "2.5"):
        response = head.get(f"/team?page={odd}")
        body = response.get_data(as_text=True)
        assert response.status_code == 400, odd
        assert "Page: give a page number, a whole number from 1 to 100000." in body, odd
        assert 'class="error-summary"' in body and "Show the first page of" in body, odd
    twice = head.get("/team?page=1&page=2")
    assert twice.status_code == 400 and "Page: given 2 times; give it once." in twice.get_data(as_text=True)
    assert head.get("/team?page=99").status_code == 200  # past the end: the last page, as a shrinking team's bookmark
