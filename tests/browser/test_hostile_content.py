"""Text that looks like HTML or script is shown as text, wherever it comes from.

A content author's sample post, a person's name, a contest reason and a misuse report all carry
script payloads here; in a real browser they must appear as the characters typed, add no element
to the page and open no dialog. The CSP would block an inline script that did get through, so the
test looks at the page itself (no injected element) as well as for dialogs and console errors
(a script the CSP refused is logged as one, which fails the tab).

It runs against its own server and database, so the demo trust's pages stay as they are.
"""

from __future__ import annotations

import json
import shutil
import textwrap

import pytest

from lms.auth.passwords import hash_password
from lms.clock import today
from lms.config import PROJECT_ROOT
from lms.content.schema import read_library
from lms.content.store import load_library
from lms.extensions import db
from lms.models import Person, PersonRole, Role, StaffType, Unit, UnitKind
from lms.records.content_updates import after_content_load
from lms.records.requirements import sync_requirements
from lms.records.settings import RecordSettings
from tests.browser.server import LiveServer
from tests.browser.training import answer, key, next_or_finish, right_answer, take, where
from tests.conftest import SCENARIOS

POST = "<script>alert('post')</script> <img src=x onerror=\"alert('img')\"> &amp; <b>bold?</b>"
NAME = "<script>alert('name')</script>"
REASON = "</textarea><script>alert('reason')</script>"
REPORT = "<iframe src=javascript:alert('report')></iframe> <svg onload=alert('svg')>"
LINK = "https://example.org/\"><script>alert('link')</script>"
LINK_STORED = "https://example.org/%22%3E%3Cscript%3Ealert('link')%3C/script%3E"  # encoded, as a browser would
PASSWORD = "hostile-content-test-password"
# A unit's name as the staff import could bring it (issue 15, finding 8): plotly used to draw it as a live link.
PHISH = '<a href="https://evil.example/phish">Phish</a> & <img src=x onerror=alert(1)> Academy'

MODULE = textwrap.dedent(f"""\
    module:
      slug: hostile-content
      title: "Hostile <em>content</em> check"
      summary: "Sample posts whose words look like HTML: <script>alert('summary')</script>"
      audience: all-staff
      pass_mark: 50
      draw: 2
      minutes: 2
    scenarios:
      - id: script-in-post
        platform: tiktok
        author_role: "teacher <script>alert('role')</script>"
        account: personal
        posted_at: "Monday <img src=x onerror=alert('when')>"
        authorised_business_use: false
        post: {json.dumps(POST)}
        verdict: breach
        clauses: ["4.1"]
        explanation: "It breaches 4.1 <script>alert('explanation')</script>"
      - id: markup-in-context
        platform: whatsapp
        author_role: teaching assistant
        account: personal
        posted_at: Saturday 10:00
        authorised_business_use: false
        post: "[<a href=javascript:alert('context')>context</a>] Lovely day <i>out</i>."
        verdict: compliant
        clauses: []
        explanation: Nothing about school.
    """)

# Anything a payload would add if it were read as HTML.
_INJECTED = "main script, main img, main iframe, main svg, main em, main b, main i, main a[href^=javascript], [onerror], [onload]"


def _prepare(folder):
    def prepare(app) -> None:
        (folder / "hostile-content.yaml").write_text(MODULE)
        shutil.copy(SCENARIOS / "policy.yaml", folder / "policy.yaml")
        library = read_library([folder / "policy.yaml", folder / "hostile-content.yaml"], SCENARIOS, PROJECT_ROOT)
        assert not library.problems, "\n".join(map(str, library.problems))
        report = load_library(db.session, library)
        after_content_load(db.session, report, RecordSettings(), today())
        school = Unit(name="Oakfield <b>Primary</b>", kind=UnitKind.school)
        secret = hash_password(PASSWORD)
        head = Person(email="head@hostile.example.org", first_name="Hannah", last_name="Head", unit=school,
                      staff_type=StaffType.employee, active=True, password_hash=secret)
        head.roles = [PersonRole(role=Role.headteacher), PersonRole(role=Role.trust_lead)]
        staff = Person(email="staff@hostile.example.org", first_name=NAME, last_name="Smith", unit=school,
                       staff_type=StaffType.volunteer, active=True, password_hash=secret, line_manager=head)
        db.session.add_all([school, head, staff])
        phish = Unit(name=PHISH, kind=UnitKind.school)
        db.session.add_all(Person(email=f"phish{n}@hostile.example.org", first_name="Pat", last_name=f"Phish {n}",
                                  unit=phish, staff_type=StaffType.employee, active=True, password_hash=secret)
                           for n in range(6))  # more than the smallest group a chart of many units shows
        db.session.flush()
        sync_requirements(db.session, RecordSettings(), today())
        db.session.commit()
    return prepare


@pytest.fixture(scope="module")
def hostile(chromium, tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    with LiveServer(folder / "lms.sqlite3", _prepare(folder)) as server:
        yield server


def shown_as_text(tab, *payloads: str) -> None:
    page_text = tab.page.locator("body").inner_text()
    for payload in payloads:
        assert payload in page_text, f"{payload!r} is not shown as text on {tab.page.url}"
    injected = tab.page.locator(_INJECTED).evaluate_all("es => es.map(e => e.outerHTML.slice(0, 120))")
    assert not injected, f"markup from content became elements on {tab.page.url}: {injected}"


def test_script_payloads_in_posts_names_and_reports_render_as_text(hostile, open_tab):
    staff = open_tab(hostile)
    staff.goto("/login")
    staff.sign_in("staff@hostile.example.org", PASSWORD)
    shown_as_text(staff, NAME, "Hostile <em>content</em> check", "<script>alert('summary')</script>")

    staff.follow(staff.page.get_by_role("button", name="Start"))
    if POST not in staff.text(".post-card"):
        take_one(staff, hostile)  # two scenarios in a shuffled order: the other one came first
    shown_as_text(staff, POST, "eacher <script>alert('role')</script>", "Monday <img src=x onerror=alert('when')>")
    assert staff.page.title().startswith("Scenario")
    take_one(staff, hostile, stop_at_feedback=True)
    shown_as_text(staff, "It breaches 4.1 <script>alert('explanation')</script>")

    staff.page.get_by_text("I think this answer is wrong").click()
    staff.page.get_by_label("Why").fill(REASON)
    staff.follow(staff.button("Send to the trust lead"))
    shown_as_text(staff, REASON)
    take(staff, hostile)
    assert "/results" in staff.page.url
    shown_as_text(staff, POST, "<a href=javascript:alert('context')>context</a>")

    staff.follow(staff.page.get_by_role("navigation", name="Main").get_by_role("link", name="Requests"))
    staff.follow(staff.link("Report misuse or disparaging content"))
    form = staff.page.locator("form.request-form")
    form.get_by_label("The headteacher").check()
    form.get_by_label("Link").fill(LINK)
    form.get_by_label("Description").fill(REPORT)
    staff.follow(staff.button("Send"))
    shown_as_text(staff, REPORT, LINK_STORED)
    request_url = staff.page.url.replace(hostile.url, "")

    head = open_tab(hostile)
    head.goto("/login")
    head.sign_in("head@hostile.example.org", PASSWORD)
    head.goto(request_url)
    shown_as_text(head, REPORT, NAME + " Smith")
    assert head.page.get_by_role("link", name=LINK_STORED).get_attribute("href") == LINK_STORED
    head.goto("/library/contests")
    shown_as_text(head, REASON, POST)
    head.goto("/library/modules/hostile-content")
    shown_as_text(head, POST, "It breaches 4.1 <script>alert('explanation')</script>")


def test_a_unit_named_with_html_is_drawn_as_text_in_the_chart(hostile, open_tab):
    head = open_tab(hostile)
    head.goto("/login")
    head.sign_in("head@hostile.example.org", PASSWORD)
    head.goto("/dashboards/")
    plot = head.page.locator("#by-unit-plot")
    head.page.wait_for_function("document.querySelector('#by-unit-plot .main-svg') !== null")
    injected = plot.locator("a, img, b, [onerror]").evaluate_all("es => es.map(e => e.outerHTML.slice(0, 120))")
    assert not injected, f"the unit's name became elements in the chart: {injected}"
    assert head.page.locator('a[href*="evil.example"], img[src="x"]').count() == 0
    labels = plot.locator(".ytick text").all_text_contents()
    assert PHISH in labels, labels  # the name, every character of it, on the axis
    assert PHISH in head.text("#by-unit table")  # and in the table beside the chart, as text


def take_one(tab, server, stop_at_feedback: bool = False) -> None:
    attempt_id, position = where(tab)
    answer(tab, right_answer(key(server, attempt_id, position)))
    if not stop_at_feedback:
        next_or_finish(tab)
