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
