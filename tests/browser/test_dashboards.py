"""A trust lead reads the dashboards in a real browser: charts draw, a filter applies, a CSV downloads.

The tab fixture fails the test on any console error, script error or failed request, so a chart
refused by the CSP, or plotly.js failing to load, fails here.
"""

from __future__ import annotations

import csv
import io

LEAD = "marcus.byrne@central.example.org"


def charts_drawn(tab) -> int:
    """Wait until every chart with data is drawn by plotly, and return how many there are."""
    page = tab.page
    blocks = page.locator("script.chart-data").count()
    page.wait_for_function(f"document.querySelectorAll('.chart-drawn .main-svg').length >= {blocks}")
    for plot in page.locator(".chart-drawn").all():
        box = plot.bounding_box()
        assert box and box["width"] > 200 and box["height"] > 100, f"chart {plot.get_attribute('id')} drew {box}"
    return blocks


def test_trust_lead_filters_the_dashboards_and_downloads_a_csv(site, open_tab):
    tab = open_tab(site)
    tab.goto("/login")
    tab.sign_in(LEAD)
    tab.follow(tab.page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboards"))
    assert tab.page.get_by_role("heading", level=1).inner_text() == "Training completion"
    assert charts_drawn(tab) >= 5  # by unit, by staff type, over time, due, scores (authorisations when any)
    by_unit = tab.text("#by-unit table")
    for school in ("Oakfield Primary School", "Riverside Academy", "Hillcrest High School"):
        assert school in by_unit
    tab.screenshot("dashboard", at="#by-unit")

    filters = tab.page.get_by_role("form", name="Filters")
    filters.get_by_label("Staff type").select_option(label="Employee")
    filters.get_by_label("Module").select_option(label="Social media: what you must never post")
    tab.follow(filters.get_by_role("button", name="Apply filters"))
    assert "staff_type=employee" in tab.page.url and "module=core-social-media" in tab.page.url
    showing = tab.text(".dashboard-showing")
    assert "employees" in showing and "Social media: what you must never post" in showing
    assert filters.get_by_label("Staff type").input_value() == "employee"  # the form shows what is applied
    charts_drawn(tab)

    filename, body = tab.download(tab.page.locator("#by-unit").get_by_role("link", name="Download CSV"))
    assert filename.startswith("by-unit-") and filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][0] == "Unit" and {"Oakfield Primary School", "Central Team"} <= {r[0] for r in rows[1:]}
    # The CSV holds the numbers the table shows, for the same filters.
    table = tab.page.locator("#by-unit tbody tr").all_inner_texts()
    assert len(rows) - 1 == len(table)

    tab.follow(tab.link("Understanding of the policy"))
    assert tab.page.get_by_role("heading", level=1).inner_text() == "Understanding of the policy"
    assert charts_drawn(tab) >= 1  # the heatmap
    assert "Oakfield Primary School" in tab.text("#heatmap table")


def test_a_bad_filter_shows_what_to_correct_and_the_form_corrects_it(site, open_tab):
    """Issue 15, finding 4: a date beyond the dashboards' range is a 400 page naming it, with the form kept."""
    tab = open_tab(site)
    tab.goto("/login")
    tab.sign_in(LEAD)
    response = tab.goto("/dashboards/?staff_type=employee&from=2026-02-30&to=9999-09-01")
    assert response.status == 400
    summary = tab.text(".error-summary")
    assert "From: 2026-02-30 is not a date: February 2026 has 28 days." in summary
    assert "To: 9999-09-01 is after 2100-12-31, the latest date the dashboards cover." in summary
    assert tab.page.locator(".chart").count() == 0
    tab.page.locator(".error-summary").get_by_role("link", name="To: 9999-09-01", exact=False).click()
    assert tab.page.evaluate("document.activeElement.id") == "to"  # the summary leads to the field
    filters = tab.page.get_by_role("form", name="Filters")
    assert filters.get_by_label("Staff type").input_value() == "employee"  # what was right is kept
    filters.get_by_label("To").fill("2026-12-31")
    tab.follow(filters.get_by_role("button", name="Apply filters"))
    assert "to=2026-12-31" in tab.page.url and tab.page.locator(".error-summary").count() == 0
    charts_drawn(tab)

    response = tab.goto("/dashboards/understanding?module=nope")
    assert response.status == 400 and "Module: there is no module 'nope'." in tab.text(".error-summary")


def test_a_team_page_number_that_is_not_one_is_named(site, open_tab):
    tab = open_tab(site)
    tab.goto("/login")
    tab.sign_in("alex.morgan@oakfield.example.org")  # a headteacher: the team of the school
    response = tab.goto(f"/team?page={10**30}")
    assert response.status == 400
    assert "Page: give a page number, a whole number from 1 to 100000." in tab.text(".error-summary")
    tab.follow(tab.page.locator(".error-summary").get_by_role("link"))
    assert tab.page.locator("table.team").count() == 1
