"""Signing in with Microsoft in Chromium, against a real OpenID Provider (tests/oidc).

The provider runs on localhost and the app on 127.0.0.1: two sites, as Microsoft's and the
trust's are, so the session cookie must survive the trip across sites (SameSite=Lax). The
provider's own pages are not ours and are not held to our checks; every page of the app is.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import _demo_trust
from tests.browser.server import LiveServer
from tests.oidc.harness import TENANT, OpenIdProvider, need_provider

TEACHER = "joanna.shah@oakfield.example.org"  # a demo teacher (lms/demo.py)


@pytest.fixture(scope="module")
def sso_site(chromium, tmp_path_factory):
    need_provider()
    port = LiveServer.free_port()
    accounts = {
        "joanna": {"tid": TENANT, "oid": "oid-joanna", "email": TEACHER, "preferred_username": TEACHER},
        "stranger": {"tid": TENANT, "oid": "oid-stranger", "email": "nobody@oakfield.example.org",
                     "preferred_username": "nobody@oakfield.example.org"},
    }
    provider = OpenIdProvider("entra", [f"http://127.0.0.1:{port}/login/sso/microsoft/callback"], accounts)
    config = {"SSO_PROVIDERS": (provider.settings("microsoft", "Microsoft", tenants=(TENANT,)),)}
    try:
        with LiveServer(tmp_path_factory.mktemp("sso") / "lms.sqlite3", _demo_trust, port=port, config=config) as server:
            server.provider = provider
            yield server
    finally:
        provider.close()


def _through_the_provider(tab, login: str) -> None:
    """Click the button, sign in on the provider's own page, and arrive back at the app (checked there)."""
    page = tab.page
    with page.expect_navigation(url=lambda url: url.startswith(tab.provider_origin)):
        page.get_by_role("link", name="Sign in with Microsoft", exact=True).click()
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password")
    with page.expect_navigation(url=lambda url: url.startswith(tab.base_url)):
        page.locator("button[type=submit]").click()
    tab.check()


def test_a_teacher_signs_in_with_microsoft(open_tab, sso_site):
    tab = open_tab(sso_site)
    tab.provider_origin = sso_site.provider.origin
    tab.goto("/login")
    assert tab.page.get_by_role("heading", name="Or sign in with a password").is_visible()
    _through_the_provider(tab, "joanna")
    assert tab.page.url.rstrip("/") == sso_site.url
    assert tab.page.get_by_role("heading", name="My training", exact=True).is_visible()
    tab.goto("/account/sessions")  # an ordinary session of the app
    assert tab.page.get_by_text("This browser").first.is_visible()


def test_someone_not_on_the_staff_list_is_told_so(open_tab, sso_site):
    tab = open_tab(sso_site)
    tab.provider_origin = sso_site.provider.origin
    tab.goto("/login")
    _through_the_provider(tab, "stranger")
    assert tab.page.get_by_role("heading", name="You have not been signed in").is_visible()
    assert tab.page.get_by_text("You are signed in to Microsoft as nobody@oakfield.example.org, but you are not on "
                                "the trust's staff list — ask your school office").is_visible()
    tab.follow(tab.link("Back to the sign-in page"))
