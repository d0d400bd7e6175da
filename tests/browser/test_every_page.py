"""The pages the journeys do not reach, each checked like theirs (axe, 320 px reflow, valid HTML).

Signed out: sign-in and its errors, setting a password from an emailed link, checking a
certificate, the privacy notice and accessibility statement, and a missing page. Signed in: every
page each kind of person has in the menu, and the forms and pages one click further.
"""

from __future__ import annotations

import logging
import re

from tests.browser.pages import PASSWORD

RESET_PERSON = "jack.ali@oakfield.example.org"  # demo consultant, not used by the journeys
NEW_PASSWORD = "kettle-orchard-lantern-2026"


class MailLog(logging.Handler):
    """The emails the app logged (no MAIL_SERVER): the password-reset link is read from here."""

    def __init__(self) -> None:
        super().__init__()
        self.bodies: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.bodies.append(record.getMessage())


def test_signed_out_pages(site, open_tab):
    tab = open_tab(site)
    tab.goto("/login")
    tab.page.get_by_label("Email address", exact=True).fill("nobody@example.org")
    tab.page.get_by_label("Password", exact=True).fill("not-a-password")
    tab.follow(tab.button("Sign in"))
    assert "do not match an account" in tab.text(".error-summary")

    tab.goto("/verify")
    tab.page.get_by_label("Verification code").fill("0000000000000000")
    tab.follow(tab.button("Check"))
    assert tab.page.get_by_role("heading", level=1).is_visible()

    tab.goto("/privacy")
    assert "privacy" in tab.page.title().lower()
    tab.goto("/accessibility")
    assert "accessibility" in tab.page.title().lower()
    assert tab.goto("/no-such-page").status == 404
    assert "Not found" in tab.text()

    tab.goto("/login")
    tab.follow(tab.page.get_by_role("link", name=re.compile("password", re.I)).first)
    tab.follow(tab.button("Email me a link"))  # nothing typed: the form says so
    assert "Enter your email address." in tab.text(".error-summary")
    mail, logger = MailLog(), logging.getLogger("lms.mail")
    level = logger.level
    logger.addHandler(mail)
    logger.setLevel(logging.INFO)  # the migrations' logging config leaves the root at WARNING
    try:
        tab.page.get_by_label("Email address", exact=True).fill(RESET_PERSON)
        tab.follow(tab.button("Email me a link"))
        site.deliver_mail()  # the request only queued it; the worker logs it (no MAIL_SERVER)
    finally:
        logger.removeHandler(mail)
        logger.setLevel(level)
    assert "we have emailed it a link" in tab.text(".flash")
    link = re.search(r"(/password/reset/\S+)", "\n".join(mail.bodies)).group(1)
    tab.goto(link)
    tab.page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    tab.page.get_by_label("Type the new password again", exact=True).fill(NEW_PASSWORD + "x")
    tab.follow(tab.page.locator("main form").get_by_role("button"))
    assert "The two new passwords are different" in tab.text()
    tab.page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    tab.page.get_by_label("Type the new password again", exact=True).fill(NEW_PASSWORD)
    tab.follow(tab.page.locator("main form").get_by_role("button"))
    assert "Your password is set" in tab.text(".flash")
    tab.sign_in(RESET_PERSON, NEW_PASSWORD)
    tab.goto(link)  # used once: the link now says so
    assert tab.page.locator("main").inner_text()


# Who sees which menu (between them, every page in the menu), and pages one click further on.
PEOPLE = {
    "nadia.doyle@central.example.org": [  # admin: staff import, subject access
        "/account/password", "/people/subject-access?email=joanna.shah@oakfield.example.org",
        "/people/subject-access?email=",
    ],
    "marcus.byrne@central.example.org": [  # trust lead: content library, dashboards, API tokens
        "/library/contests", "/library/modules/core-social-media", "/library/modules/managers-and-headteachers",
        "/api/",
    ],
    "alex.morgan@oakfield.example.org": [  # headteacher: team, register, dashboards of the school
        "/requests/new/media-enquiry", "/requests/new/reference", "/requests/new/misuse-report",
        "/requests/delegate", "/dashboards/understanding",
    ],
    "priya.nguyen@oakfield.example.org": [],  # line manager: team of direct reports
}
REFUSED = {"/people/subject-access?email=": 422}  # the form's own error, shown at the field


def test_every_page_in_each_menu(site, open_tab):
    visited: set[str] = set()
    for email, further in PEOPLE.items():
        tab = open_tab(site)
        tab.goto("/login")
        tab.sign_in(email, PASSWORD)
        menu = tab.page.get_by_role("navigation", name="Main").get_by_role("link")
        hrefs = menu.evaluate_all("links => links.map(a => a.getAttribute('href'))")
        assert len(hrefs) >= 4, hrefs
        # A page whose content depends on who is looking is visited by each; the rest once.
        for href in [h for h in hrefs if h not in visited or h in ("/team", "/dashboards/")] + further:
            assert tab.goto(href).status == REFUSED.get(href, 200), href
            visited.add(href)
        tab.page.context.close()
    staff = open_tab(site)
    staff.goto("/login")
    staff.sign_in("joanna.shah@oakfield.example.org", PASSWORD)
    assert staff.goto("/dashboards/").status == 403  # the "not allowed" page


def test_api_token_page_expiry_choice_and_list(site, open_tab):
    """Making a token (with its expiry chosen), a refused one, the list with expiry days, and revoking."""
    tab = open_tab(site)
    tab.goto("/login")
    tab.sign_in("marcus.byrne@central.example.org", PASSWORD)
    tab.goto("/account/tokens")
    expiry = tab.page.get_by_label("Expires after")
    assert expiry.input_value() == "12"  # API_TOKEN_MONTHS
    assert expiry.locator("option").all_inner_texts() == ["1 month", "3 months", "6 months", "12 months"]
    tab.follow(tab.button("Make token"))  # no name: the form says so at the field
    assert "Give the token a name." in tab.text(".error-summary")
    tab.page.get_by_label("Name", exact=True).fill("Browser check")
    tab.page.get_by_label("Expires after").select_option("3")
    tab.follow(tab.button("Make token"))
    assert "Copy your new token now" in tab.text("#new-token") and "it works until" in tab.text("#new-token")
    row = tab.page.get_by_role("row").filter(has_text="Browser check")
    assert "Active" in row.inner_text() and re.search(r"\d{1,2} [A-Z][a-z]{2} \d{4}", row.inner_text())
    tab.goto("/account/tokens")  # the list alone, as it is seen later
    tab.follow(tab.page.get_by_role("button", name="Revoke Browser check"))
    assert "is revoked" in tab.text(".flash")
    assert "Revoked" in tab.page.get_by_role("row").filter(has_text="Browser check").inner_text()


def test_active_sessions_page_ends_another_browsers_session(site, open_tab):
    """The sessions page lists where one is signed in; ending a session there signs that browser out."""
    person = "joanna.shah@oakfield.example.org"  # also signed in by other tests: those sessions end first
    here, there, third = open_tab(site), open_tab(site), open_tab(site)
    third.sign_in(person)
    here.sign_in(person)
    here.follow(here.link("Sessions"))
    assert "/account/sessions" in here.page.url
    here.follow(here.button("Sign out everywhere else"))
    assert re.search(r"Signed out everywhere else \(\d+ sessions? ended\)", here.text(".flash"))
    third.goto("/")
    assert "/login" in third.page.url

    there.sign_in(person)
    here.goto("/account/sessions")
    rows = here.page.locator("main table tbody tr")
    assert rows.count() == 2 and "(this browser)" in rows.first.inner_text()
    here.follow(rows.nth(1).get_by_role("button"))
    assert "That session has ended" in here.text(".flash")
    assert here.page.locator("main table tbody tr").count() == 1
    assert "not signed in anywhere else" in here.text()
    there.goto("/training/history")
    assert "/login" in there.page.url and "Your session has ended" in there.text(".flash")


def test_delegation_page_with_a_refusal_and_an_ended_delegation_and_refused_passwords(site, open_tab):
    """Issue 15, findings 5 and 6: a delegation out of reach is refused at its field, one within reach is
    ended with "End now" and shown as ended; the password pages say why a weak password is refused."""
    tab = open_tab(site)
    tab.goto("/login")
    tab.sign_in("alex.morgan@oakfield.example.org", PASSWORD)  # headteacher, Oakfield
    tab.goto("/requests/delegate")
    tab.page.get_by_label("Colleague's email address").fill("kiran.haddad@riverside.example.org")  # another school
    tab.page.get_by_label("From").fill("2000-01-01")
    tab.page.get_by_label("Until").fill("9999-12-31")
    tab.follow(tab.button("Save"))
    assert "Delegate: choose someone in your own school or team" in tab.text(".error-summary")
    tab.page.get_by_label("Colleague's email address").fill("priya.nguyen@oakfield.example.org")
    tab.follow(tab.button("Save"))
    assert "From: a delegation cannot start in the past" in tab.text(".error-summary")
    today = tab.page.evaluate("new Date().toLocaleDateString('en-CA', {timeZone: 'Europe/London'})")
    tab.page.get_by_label("From").fill(today)
    tab.page.get_by_label("Until").fill(today)
    tab.follow(tab.button("Save"))
    assert "can decide your requests" in tab.text(".flash")
    row = tab.page.locator("#given ~ .table-scroll tbody tr").filter(has_text="priya.nguyen@oakfield.example.org").last
    assert "In force" in row.inner_text()
    tab.follow(row.get_by_role("button", name=re.compile("^End now")))
    assert "can no longer decide your requests" in tab.text(".flash")
    row = tab.page.locator("#given ~ .table-scroll tbody tr").filter(has_text="priya.nguyen@oakfield.example.org").last
    assert re.search(r"Ended \d{1,2} [A-Z][a-z]{2} \d{4} at \d\d:\d\d by you", row.inner_text())

    tab.goto("/account/password")
    assert "three or four unrelated words" in tab.text()  # what would pass, before anything is typed
    tab.page.get_by_label("Current password").fill(PASSWORD)
    tab.page.get_by_label("New password", exact=True).fill("Password123!")
    tab.page.get_by_label("Type the new password again", exact=True).fill("Password123!")
    tab.follow(tab.button("Change my password"))
    summary = tab.text(".error-summary")
    assert "too easy to guess" in summary and "a password many people use" in summary and "What would pass" in summary

    mail, logger = MailLog(), logging.getLogger("lms.mail")
    level = logger.level
    logger.addHandler(mail)
    logger.setLevel(logging.INFO)
    try:
        reset = open_tab(site)
        reset.goto("/password/reset")
        # A short address: a long one in the flash on /login scrolls sideways at 320 px (reported, not this page's).
        reset.page.get_by_label("Email address", exact=True).fill(RESET_PERSON)
        reset.follow(reset.button("Email me a link"))
        site.deliver_mail()  # the request only queued it; the worker logs it (no MAIL_SERVER)
    finally:
        logger.removeHandler(mail)
        logger.setLevel(level)
    link = re.search(r"(/password/reset/\S+)", "\n".join(mail.bodies)).group(1)
    reset.goto(link)
    reset.page.get_by_label("New password", exact=True).fill("oakfield2026")  # at Oakfield Primary School
    reset.page.get_by_label("Type the new password again", exact=True).fill("oakfield2026")
    reset.follow(reset.page.locator("main form").get_by_role("button"))
    assert "the name of your school or team" in reset.text(".error-summary")


def test_mail_page_lists_dead_letters_and_retries_them(site, open_tab):
    """The admin's Mail page: the backlog, a dead letter with its error, Retry and Retry all."""
    from lms.clock import utcnow
    from lms.extensions import db
    from lms.models import OutboxMessage, OutboxState

    with site.app.app_context():
        for to in ("dead.one@example.org", "dead.two@example.org"):
            db.session.add(OutboxMessage(recipients=[to], subject="Your request is approved", body="b",
                                         state=OutboxState.dead, attempts=8, last_attempt_at=utcnow(),
                                         last_error="SMTPRecipientsRefused: {'" + to + "': (550, b'No such user')}"))
        db.session.commit()
        db.session.remove()
    tab = open_tab(site)
    tab.goto("/login")
    tab.sign_in("nadia.doyle@central.example.org", PASSWORD)  # admin
    tab.follow(tab.page.get_by_role("navigation", name="Main").get_by_role("link", name="Mail", exact=True))
    row = tab.page.get_by_role("row").filter(has_text="dead.one@example.org")
    assert "No such user" in row.inner_text() and "8" in row.inner_text()
    tab.follow(row.get_by_role("button", name=re.compile("^Retry")))
    assert "is queued again" in tab.text(".flash")
    tab.follow(tab.button("Retry all"))
    assert "1 dead message(s) queued again" in tab.text(".flash")
    assert "There are no dead letters" in tab.text()
    site.deliver_mail()
