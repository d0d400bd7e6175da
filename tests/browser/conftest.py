"""Browser tests: Playwright drives the system's Chromium against the app on a free local port.

Chromium is Debian's (`/usr/bin/chromium`, or LMS_CHROMIUM); Playwright never downloads one.
Without it the browser tests are skipped, saying why, except with CI=true, where that is a failure.
What each page is held to is in pages.py; what they leave behind (the HTML of every distinct page,
screenshots, a list of the pages checked) is in test-artifacts/browser/.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from lms.config import PROJECT_ROOT
from tests.browser.pages import DESKTOP, Tab, Visits
from tests.browser.server import LiveServer, cli

CHROMIUM = Path(os.environ.get("LMS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "browser"
IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_collection_modifyitems(config, items):
    """The HTML check reads what every journey saved, so it runs right after the last of them."""
    last = [item for item in items if item.path.name == "test_html_valid.py"]
    rest = [item for item in items if item.path.name != "test_html_valid.py"]
    browser = [i for i, item in enumerate(rest) if item.path.parent == Path(__file__).parent]
    at = browser[-1] + 1 if browser else len(rest)
    items[:] = rest[:at] + last + rest[at:]


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        reason = (f"Chromium not found at {CHROMIUM} (install Debian's `chromium` package, "
                  "or set LMS_CHROMIUM to its path)")
        if IN_CI:
            pytest.fail(f"CI=true but {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def visits(chromium) -> Visits:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    found = Visits(ARTIFACTS)
    found.html_folder.mkdir(parents=True)
    found.screenshot_folder.mkdir(parents=True)
    yield found
    (ARTIFACTS / "pages.txt").write_text(found.summary() + "\n")


def _demo_trust(app) -> None:
    """What `make run` builds: the migrations (done by LiveServer), the scenarios and the demo trust."""
    cli(app, "scenarios", "load")
    cli(app, "demo", "seed")


@pytest.fixture(scope="session")
def site(chromium, tmp_path_factory):
    """The app with the shipped scenarios and the demo trust (password in pages.PASSWORD)."""
    with LiveServer(tmp_path_factory.mktemp("site") / "lms.sqlite3", _demo_trust) as server:
        yield server


def _tab_factory(chromium, visits: Visits):
    contexts, tabs = [], []

    def open_tab(server, **context_options) -> Tab:
        context = chromium.new_context(viewport=DESKTOP, accept_downloads=True, locale="en-GB",
                                       timezone_id="Europe/London", **context_options)
        contexts.append(context)
        tab = Tab(context.new_page(), server.url, visits)
        tabs.append(tab)
        return tab

    def new_page(tab: Tab) -> Tab:
        """Another page in the same browser context (same cookies)."""
        other = Tab(tab.page.context.new_page(), tab.base_url, visits)
        tabs.append(other)
        return other

    open_tab.new_page = new_page
    return open_tab, contexts, tabs


@pytest.fixture
def open_tab(chromium, visits):
    """`open_tab(server)`: a fresh browser context (no cookies) with one checked page.

    After the test, every tab it opened must have had no console error, script error, failed
    request or dialog, and every page it reached must have been checked.
    """
    factory, contexts, tabs = _tab_factory(chromium, visits)
    yield factory
    problems = [p for tab in tabs for p in tab.leftovers()]
    for context in contexts:
        context.close()
    assert not problems, "\n".join(problems)
