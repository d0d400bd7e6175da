"""The dashboards' filters at the edge (issue 15, finding 4): a bad filter is a 400 naming it, never a 500.

Dates outside the range the dashboards cover used to reach `training_year` and fail there
(`date(10000, 8, 31)`); now every filter is read by lms.query_params, and a page with a problem
shows the problem and the filter form to correct it, not figures for some other selection.
"""

from __future__ import annotations

import pytest

from lms.clock import travel_to
from lms.dashboards.completion_page import CHARTS
from lms.dashboards.understanding_page import CSV_FILES
from lms.query_params import EARLIEST, LATEST
from tests.dashboards.test_pages import TODAY, page, signed_in, summary

PAGES = ("/dashboards/", "/dashboards/understanding")
CSVS = tuple(f"/dashboards/csv/{name}.csv" for name in (*CHARTS, *CSV_FILES))

# The three addresses of the finding, and what the page says about each.
EDGE_DATES = (
    ("to=9999-09-01", "To: 9999-09-01 is after 2100-12-31, the latest date the dashboards cover."),
    ("from=9999-12-31", "From: 9999-12-31 is after 2100-12-31, the latest date the dashboards cover."),
    ("to=0001-01-01", "To: 0001-01-01 is before 2000-01-01, the earliest date the dashboards cover."),
)


def get(client, url: str):
    with travel_to(TODAY):
        return client.get(url)


def test_the_supported_range_is_the_one_the_messages_name():
    assert (EARLIEST.isoformat(), LATEST.isoformat()) == ("2000-01-01", "2100-12-31")


@pytest.mark.parametrize(("query", "message"), EDGE_DATES, ids=[q for q, _ in EDGE_DATES])
def test_the_edge_dates_of_the_finding_answer_400_naming_the_filter(make_client, trust, query, message):
    lead = signed_in(make_client, trust.lead)
    for url in PAGES:
        response = get(lead, f"{url}?{query}")
        assert response.status_code == 400, (url, response.status_code)
        html = response.get_data(as_text=True)
        assert message in html, url
        assert 'class="error-summary"' in html and '<form class="filters"' in html  # the form is there to correct it
        assert 'class="chart"' not in html  # no figures for some other selection than the one asked for
    for url in CSVS:
        response = get(lead, f"{url}?{query}")
        assert response.status_code == 400, (url, response.status_code)
        assert response.mimetype == "text/plain"
        assert message in response.get_data(as_text=True), url


def test_the_first_and_last_days_covered_are_fine(make_client, trust):
    lead = signed_in(make_client, trust.lead)
    html = page(lead, "/dashboards/?from=2000-01-01&to=2100-12-31")
    assert "dates 1 Jan 2000 to 31 Dec 2100" in html
    for one in ("from=2100-12-31", "to=2000-01-01"):  # one end alone: the training year around it
        assert get(lead, f"/dashboards/?{one}").status_code == 200, one
        assert get(lead, f"/dashboards/understanding?{one}").status_code == 200, one
        for url in CSVS:
            assert get(lead, f"{url}?{one}").status_code == 200, (url, one)


BAD = (
    ("from=2026-02-30", "From: 2026-02-30 is not a date: February 2026 has 28 days."),
    ("to=2026-13-01", "To: 2026-13-01 is not a date: there is no month 13."),
    ("from=yesterday", "From: &#39;yesterday&#39; is not a date; give it as YYYY-MM-DD, such as 2026-09-01."),
    ("to=20260901", "To: &#39;20260901&#39; is not a date; give it as YYYY-MM-DD"),  # no other ISO spellings
    ("from=2026-10-01&to=2026-09-01", "From: 2026-10-01 is after To, 2026-09-01: the start of the range comes first."),
    ("to=2026-09-01&to=2026-09-30", "To: given 2 times; give it once."),
    ("unit=" + "9" * 30, "Unit: give a unit by its number, a whole number from 1 to 2147483647."),
    ("unit=-1", "Unit: give a unit by its number"),
    ("unit=999999", "Unit: there is no unit 999999."),
    ("module=nope", "Module: there is no module &#39;nope&#39;."),
    ("staff_type=wizard", "Staff type: &#39;wizard&#39; is not one of"),
    ("scope=7", "Scope: &#39;7&#39; is not one of the views you may see."),
    ("scope=" + "1" * 30, "Scope: "),
)


@pytest.mark.parametrize(("query", "message"), BAD, ids=[q[:30] for q, _ in BAD])
def test_each_kind_of_bad_filter_is_named_with_what_to_do(make_client, trust, query, message):
    lead = signed_in(make_client, trust.lead)
    for url in PAGES:
        response = get(lead, f"{url}?{query}")
        assert response.status_code == 400, (url, response.status_code)
        assert message in response.get_data(as_text=True), url
    response = get(lead, f"/dashboards/csv/scores.csv?{query}")
    assert response.status_code == 400 and response.mimetype == "text/plain"


def test_every_problem_is_listed_at_once_and_the_good_filters_stay_in_the_form(make_client, trust):
    lead = signed_in(make_client, trust.lead)
    html = get(lead, "/dashboards/?staff_type=employee&from=2026-02-30&to=9999-01-01&module=nope").get_data(
        as_text=True)
    for name in ("From: 2026-02-30", "To: 9999-01-01", "Module: there is no module"):
        assert name in html, name
    assert '<option value="employee" selected>' in html  # what was right is kept, to correct the rest
    assert '<a href="#from">' in html  # each problem leads to its field
    assert "Clear filters" in html


def test_a_viewer_of_one_unit_asking_for_another_is_still_shown_their_own(make_client, trust):
    """A filter narrows a view and never widens it: a headteacher's unit filter is ignored, as before."""
    head = signed_in(make_client, trust.head_a)
    html = page(head, f"/dashboards/?unit={trust.river.id}")
    assert "Riverside" not in html and summary(html)["People"] == "6"
