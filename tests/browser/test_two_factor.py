"""The CEO sets up two-factor sign-in in Chromium, signs in with a code and with a recovery code, and
makes new recovery codes. Every page on the way is checked as every page is (pages.py: axe, reflow
at 320 px, no console errors; the HTML checker reads them in test_html_valid.py): the set-up page
with its QR code, its error, the recovery codes page, the code page and its errors, the account page.
"""

from __future__ import annotations

import pyotp

from lms.auth.two_factor_views import USED_RECOVERY, WRONG_CODE
from lms.clock import utcnow
from tests.browser.pages import AUTHENTICATORS, CODE_LABEL, PASSWORD

CEO = "kiran.rahman@central.example.org"  # signed in by no other browser test


def wrong_code(key: str) -> str:
    totp = pyotp.TOTP(key)
    now = totp.timecode(utcnow())
    near = {totp.generate_otp(s) for s in range(now - 2, now + 3)}
    return next(c for c in (f"{n:06d}" for n in range(100003, 999999, 7919)) if c not in near)


def password(tab) -> None:
    tab.goto("/login")
    tab.page.get_by_label("Email address", exact=True).fill(CEO)
    tab.page.get_by_label("Password", exact=True).fill(PASSWORD)
    tab.follow(tab.button("Sign in"))


def test_the_ceo_sets_up_an_app_signs_in_with_codes_and_makes_new_recovery_codes(site, open_tab):
    tab = open_tab(site)
    password(tab)
    assert tab.page.url.endswith("/login/code/setup")
    qr = tab.page.get_by_role("img", name="QR code for your authenticator app")
    box = qr.bounding_box()
    assert box and 150 <= box["width"] <= 256 and box["width"] == box["height"]
    key = tab.page.locator("#two-factor-secret").inner_text()
    assert len(key.split(" ")) == 8 and all(len(group) == 4 for group in key.split(" "))
    tab.page.get_by_label(CODE_LABEL, exact=True).fill(wrong_code(key.replace(" ", "")))
    tab.follow(tab.button("Confirm and sign in"))
    assert WRONG_CODE in tab.text(".error-summary")
    assert tab.page.locator("#two-factor-secret").inner_text() == key  # the same key, to try again

    app = tab.set_up_authenticator(CEO)  # the right code: the recovery codes, then home
    assert tab.page.url == site.url + "/"
    assert app.key == key.replace(" ", "") and len(set(app.recovery_codes)) == 10

    tab.follow(tab.link("Two-factor sign-in"))
    assert "10 of 10" in tab.text()
    tab.follow(tab.button("Sign out"))

    password(tab)
    assert tab.page.url.endswith("/login/code")
    tab.page.get_by_label(CODE_LABEL, exact=True).fill(wrong_code(app.key))
    tab.follow(tab.button("Sign in"))
    assert WRONG_CODE in tab.text(".error-summary")
    used = app.recovery_codes.pop()
    tab.page.get_by_label("Recovery code", exact=True).fill(used.upper())
    tab.follow(tab.button("Sign in with a recovery code"))
    assert "have 9 left" in tab.text(".flash")
    tab.follow(tab.button("Sign out"))

    password(tab)
    tab.page.get_by_label("Recovery code", exact=True).fill(used)
    tab.follow(tab.button("Sign in with a recovery code"))
    assert USED_RECOVERY in tab.text(".error-summary")
    tab.give_code(CEO)
    assert tab.page.url == site.url + "/"

    tab.goto("/account/two-factor")
    assert "9 of 10" in tab.text()
    tab.page.get_by_label(CODE_LABEL, exact=True).fill(app.wait_for_code())  # a code not typed yet
    tab.follow(tab.button("Make new recovery codes"))
    assert "The recovery codes you had before stopped working" in tab.text()
    app.recovery_codes = tab.page.locator("main ol code").all_inner_texts()
    assert len(app.recovery_codes) == 10 and AUTHENTICATORS[(site.url, CEO)] is app
    tab.follow(tab.link("I have saved these codes"))
    assert "10 of 10" in tab.text()
