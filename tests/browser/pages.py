"""What every page a browser test visits is held to, and a tab that checks each page it lands on.

Each page is checked where the journey finds it (a question before and after answering are two
different pages): axe-core with the WCAG 2.0/2.1/2.2 A and AA rules, reflow at 320 CSS pixels
without horizontal scrolling, and the server's HTML saved for the Nu HTML Checker, which
test_html_valid.py runs once over all of them. A tab also collects console errors, uncaught
script errors, failed requests and dialogs; the fixture that made it fails the test if any
occurred, or if the tab reached a page that was never checked.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyotp
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Download, Locator, Page, Response

from lms.clock import utcnow

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
REFLOW_WIDTH = 320
PASSWORD = "learn-the-policy-2026"  # the demo trust's documented password (lms/demo.py)

# Which elements stick out past the right edge at 320 px, for a readable failure.
_WIDE_ELEMENTS = """(limit) => Array.from(document.querySelectorAll('body *'))
  .filter(e => e.getBoundingClientRect().right > limit + 0.5)
  .slice(0, 8)
  .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
            (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\\s+/).join('.') : '') +
            ' right edge ' + Math.round(e.getBoundingClientRect().right) + 'px')"""

# What makes two visits "the same page": the route, the title, headings and buttons (numbers
# dropped), and whether it shows messages or form errors. A page showing a sample-post layout
# (platform) not checked before is new too, so each platform's colours are checked once.
_SIGNATURE = """() => [
  document.title,
  Array.from(document.querySelectorAll('main h2, main legend, main button')).map(e => e.textContent.trim()).join('|'),
  document.querySelectorAll('.flash').length > 0,
  document.querySelectorAll('.error-summary, .field-errors').length > 0,
].join('#')"""
_PLATFORMS = """() => Array.from(document.querySelectorAll('.post-card'))
  .flatMap(e => Array.from(e.classList)).filter(c => c.startsWith('platform-'))"""

# Every drawn chart fits its box (true at once on pages without charts).
_CHARTS_FIT = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).every(plot => {
  const svg = plot.querySelector('.main-svg');
  return svg && svg.getBoundingClientRect().width <= plot.getBoundingClientRect().width + 1;
})"""


@dataclass
class Authenticator:
    """A person's authenticator app, as the browser tests set it up: the key read off the set-up page,
    the recovery codes shown once, and the last 30-second step whose code was typed (never typed twice)."""

    key: str
    recovery_codes: list[str]
    last_step: int

    def next_code(self) -> str | None:
        """The code for now or the next step (the server allows one either side), whichever is not taken yet."""
        totp = pyotp.TOTP(self.key)
        now = totp.timecode(utcnow())
        step = next((s for s in (now, now + 1) if s > self.last_step), None)
        if step is None:
            return None
        self.last_step = step
        return totp.generate_otp(step)

    def wait_for_code(self) -> str:
        """The next code not typed yet, waiting for the next 30-second step when both allowed are taken."""
        code = self.next_code()
        while code is None:
            time.sleep(1)
            code = self.next_code()
        return code


# Set up by Tab.sign_in, by (site address, email): one site's database lives as long as the session.
AUTHENTICATORS: dict[tuple[str, str], Authenticator] = {}
CODE_LABEL = "6-digit code from your authenticator app"


@dataclass
class CheckedPage:
    name: str
    url: str
    status: int
    seconds: float


@dataclass
class Visits:
    """Every page checked in the session; the HTML of each distinct one is kept for the Nu checker."""

    folder: Path
    pages: list[CheckedPage] = field(default_factory=list)
    seen: dict[str, str] = field(default_factory=dict)
    platforms: set[str] = field(default_factory=set)
    axe: Axe = field(default_factory=Axe)

    @property
    def html_folder(self) -> Path:
        return self.folder / "html"

    @property
    def screenshot_folder(self) -> Path:
        return self.folder / "screenshots"

    def check(self, page: Page, document: Response) -> None:
        started = time.monotonic()
        path = re.sub(r"^https?://[^/]+", "", page.url)
        route, _, query = path.split("#")[0].partition("?")
        route = re.sub(r"\d+", "N", route)
        if query:  # which filters are set changes the page; their values are part of the content
            route += "?" + "&".join(sorted({part.split("=")[0] for part in query.split("&")}))
        signature = route + "#" + re.sub(r"\d+", "N", page.evaluate(_SIGNATURE))
        platforms = set(page.evaluate(_PLATFORMS))
        if signature in self.seen and platforms <= self.platforms:
            return
        results = self.axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS},
                                              "resultTypes": ["violations"]})
        assert results.violations_count == 0, f"axe on {path}:\n{results.generate_report()}"
        self._check_reflow(page, path)
        name = f"{len(self.pages) + 1:03d}-{re.sub(r'[^a-z0-9]+', '-', route.lower()).strip('-')[:60] or 'home'}"
        # The server's own bytes, not the DOM after scripts ran: that is what the checker should judge.
        (self.html_folder / f"{name}.html").write_bytes(document.body())
        self.seen[signature] = path
        self.platforms |= platforms
        self.pages.append(CheckedPage(name, path, document.status, time.monotonic() - started))

    @staticmethod
    def _check_reflow(page: Page, path: str) -> None:
        size = page.viewport_size
        page.set_viewport_size({"width": REFLOW_WIDTH, "height": 720})
        try:
            page.wait_for_function(f"document.documentElement.clientWidth === {REFLOW_WIDTH}")
            width = page.evaluate("document.documentElement.scrollWidth")
            wide = page.evaluate(_WIDE_ELEMENTS, REFLOW_WIDTH) if width > REFLOW_WIDTH else []
        finally:
            page.set_viewport_size(size)
        assert width <= REFLOW_WIDTH, (
            f"{path} scrolls sideways at {REFLOW_WIDTH} px wide (content is {width} px): " + "; ".join(wide))

    def summary(self) -> str:
        lines = [f"{p.name}  {p.status}  {p.url}  ({p.seconds:.1f} s)" for p in self.pages]
        return "\n".join([f"{len(self.pages)} distinct pages checked (axe, reflow at {REFLOW_WIDTH} px, HTML kept):",
                          *lines])


class Tab:
    """One page of a browser context, checked wherever it lands."""

    def __init__(self, page: Page, base_url: str, visits: Visits) -> None:
        self.page = page
        self.base_url = base_url
        self.visits = visits
        self.problems: list[str] = []
        self.dialogs: list[str] = []
        self.pages_loaded: set[str] = set()
        self.document: Response | None = None
        self.unchecked: str | None = None
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"script error on {page.url}: {error}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)
        page.on("dialog", self._dialog)

    # --- what the tab notices ---------------------------------------------------------

    def _console(self, message) -> None:
        if message.type != "error":
            return
        if message.text.startswith("Failed to load resource") and message.location.get("url") in self.pages_loaded:
            return  # Chromium logs a page answered 4xx (a form's errors, a 404 page); the test checks those itself
        self.problems.append(f"console error on {self.page.url}: {message.text}")

    def _failed(self, request) -> None:
        # Leaving a page cuts short what it was still fetching (its favicon), and a download ends its
        # navigation: both are ERR_ABORTED. Anything else (refused by the CSP, unreachable) is a failure.
        if request.failure != "net::ERR_ABORTED":
            self.problems.append(f"request failed: {request.method} {request.url} ({request.failure})")

    def _response(self, response: Response) -> None:
        request = response.request
        if request.is_navigation_request() and request.frame == self.page.main_frame:
            if 300 <= response.status < 400 or "text/html" not in (response.headers.get("content-type") or ""):
                return  # a redirect, or a download (certificate, CSV)
            self.document, self.unchecked = response, response.url
            self.pages_loaded.add(response.url)
            if response.status >= 500:
                self.problems.append(f"{response.status} for {request.method} {response.url}")
        elif response.status >= 400:
            self.problems.append(f"{response.status} for {request.method} {response.url} on {self.page.url}")

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def leftovers(self) -> list[str]:
        problems = self.problems + [f"dialog opened: {d}" for d in self.dialogs]
        if self.unchecked:
            problems.append(f"reached {self.unchecked} without checking it (use tab.goto/follow/check)")
        return problems

    # --- moving around ----------------------------------------------------------------

    def check(self) -> None:
        self.page.wait_for_load_state("load")
        assert self.document is not None, f"no page loaded at {self.page.url}"
        self.visits.check(self.page, self.document)
        self.unchecked = None

    def goto(self, path: str) -> Response:
        response = self.page.goto(self.base_url + path)
        self.check()
        return response

    def follow(self, target: Locator | str) -> None:
        """Click a link or button (or press a key, given as 'key:Enter') and check the page it leads to."""
        with self.page.expect_navigation():
            if isinstance(target, str) and target.startswith("key:"):
                self.page.keyboard.press(target[4:])
            else:
                (self.page.locator(target) if isinstance(target, str) else target).click()
        self.check()

    def button(self, name: str) -> Locator:
        return self.page.get_by_role("button", name=name, exact=True)

    def link(self, name: str) -> Locator:
        return self.page.get_by_role("link", name=name, exact=True)

    def sign_in(self, email: str, password: str = PASSWORD) -> None:
        """Sign in with the form; an admin, trust lead or CEO also sets up their app or types its code."""
        if not re.search(r"/login($|\?)", self.page.url):
            self.goto("/login")
        self.page.get_by_label("Email address", exact=True).fill(email)
        self.page.get_by_label("Password", exact=True).fill(password)
        self.follow(self.button("Sign in"))
        if "/login/code/setup" in self.page.url:
            self.set_up_authenticator(email)
        elif "/login/code" in self.page.url:
            self.give_code(email)
        assert "/login" not in self.page.url, f"{email} could not sign in"

    def set_up_authenticator(self, email: str) -> Authenticator:
        """On the set-up page: read the key as a person types it into an app, confirm it, keep the recovery codes."""
        key = self.page.locator("#two-factor-secret").inner_text().replace(" ", "")
        app = Authenticator(key, [], -1)
        self.page.get_by_label(CODE_LABEL, exact=True).fill(app.next_code())
        self.follow(self.button("Confirm and sign in"))
        app.recovery_codes = self.page.locator("main ol code").all_inner_texts()
        assert len(app.recovery_codes) == 10, self.text()
        AUTHENTICATORS[(self.base_url, email.lower())] = app
        self.follow(self.link("I have saved these codes"))
        return app

    def give_code(self, email: str) -> None:
        """On the code page: the app's code, or (two sign-ins within 30 seconds already) a saved recovery code."""
        app = AUTHENTICATORS.get((self.base_url, email.lower()))
        assert app is not None, f"{email} has an authenticator app that Tab.sign_in did not set up"
        code = app.next_code()
        if code is None and app.recovery_codes:
            self.page.get_by_label("Recovery code", exact=True).fill(app.recovery_codes.pop())
            self.follow(self.button("Sign in with a recovery code"))
            return
        self.page.get_by_label(CODE_LABEL, exact=True).fill(code or app.wait_for_code())
        self.follow(self.button("Sign in"))

    def download(self, target: Locator) -> tuple[str, bytes]:
        with self.page.expect_download() as info:
            target.click()
        download: Download = info.value
        return download.suggested_filename, Path(download.path()).read_bytes()

    def screenshot(self, name: str, at: str | None = None) -> None:
        """The page as it is, at desktop and at phone width (for docs/screenshots/), scrolled to `at`."""
        size = self.page.viewport_size
        for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            self.page.set_viewport_size(viewport)
            self.page.wait_for_function(f"document.documentElement.clientWidth <= {viewport['width']}")
            self.page.wait_for_function(_CHARTS_FIT)  # plotly redraws charts a moment after a resize
            if at:
                self.page.locator(at).first.evaluate("e => e.scrollIntoView({block: 'start'})")
            self.page.screenshot(path=str(self.visits.screenshot_folder / f"{name}-{label}.png"))
        self.page.evaluate("window.scrollTo(0, 0)")
        self.page.set_viewport_size(size)

    def text(self, selector: str = "main") -> str:
        return self.page.locator(selector).inner_text()
