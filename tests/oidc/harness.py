"""Runs tests/oidc/provider.mjs (panva's oidc-provider, a certified OpenID Provider) for a test.

`OpenIdProvider` starts it on a free port of localhost — another site than the app's 127.0.0.1,
so the browser crosses sites as it does with Microsoft or Google — with accounts a test can
change while it runs. `PersonAtProvider` is someone using the provider's own sign-in page
over HTTP: it follows the redirects from the app to the provider and back as a browser would,
and hands the app's callback address (code and state) to the test.

Node and the npm package are required. Without them the tests are skipped saying why, except
with CI=true, where that fails the run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

from lms.config import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "tests" / "oidc" / "provider.mjs"
PACKAGE = PROJECT_ROOT / "node_modules" / "oidc-provider" / "package.json"
IN_CI = os.environ.get("CI", "").lower() == "true"
TENANT = "6f1e0c2a-5b7d-4c1e-9a3f-2d8b7e4c1a90"  # the trust's Entra tenant
OTHER_TENANT = "0b9d4e6f-1a2c-4e8b-b3d5-7f9a1c2e4d6b"  # another organisation's
CLIENT_SECRET = "a-client-secret-for-tests-only"


def missing() -> str | None:
    """What is missing to run the provider, or None."""
    if shutil.which("node") is None:
        return "Node.js is not installed (Debian's nodejs package)"
    if not PACKAGE.exists():
        return "the npm package oidc-provider is not installed (npm ci, as `make test` runs)"
    return None


def need_provider() -> None:
    """For a fixture: skip without Node or the package, saying why, but fail with CI=true."""
    import pytest  # only the tests need it; `make sso-demo` runs without the test tools

    problem = missing()
    if problem:
        if IN_CI:
            pytest.fail(f"CI=true but {problem}: the single sign-on tests need a real OpenID Provider",
                        pytrace=False)
        pytest.skip(problem)


class OpenIdProvider:
    def __init__(self, profile: str, redirect_uris: list[str], accounts: dict, client_id: str = "lms",
                 port: int = 0) -> None:
        problem = missing()
        if problem:
            raise RuntimeError(problem)
        self.profile, self.client_id, self.client_secret = profile, client_id, CLIENT_SECRET
        self._folder = Path(tempfile.mkdtemp(prefix=f"oidc-{profile}-"))
        self.accounts_file = self._folder / "accounts.json"
        self.set_accounts(accounts)
        config = {"profile": profile, "host": "localhost", "port": port, "tenant": TENANT,
                  "accounts": str(self.accounts_file),
                  "clients": [{"client_id": client_id, "client_secret": CLIENT_SECRET, "redirect_uris": redirect_uris}]}
        (self._folder / "config.json").write_text(json.dumps(config))
        node = shutil.which("node")
        self._process = subprocess.Popen([node, str(SCRIPT), str(self._folder / "config.json")],  # noqa: S603 - our script
                                         cwd=PROJECT_ROOT,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self._process.stdout.readline()
        if not line:
            self.close()
            raise RuntimeError(f"the OpenID Provider did not start: {self._process.stderr.read()}")
        self.issuer = json.loads(line)["issuer"]
        parts = urlsplit(self.issuer)
        self.origin = f"{parts.scheme}://{parts.netloc}"

    def set_accounts(self, accounts: dict) -> None:
        """Who can sign in at the provider, and what it says of them (read again at each sign-in)."""
        self.accounts = accounts
        self.accounts_file.write_text(json.dumps(accounts))

    def change(self, login: str, **claims) -> None:
        self.set_accounts({**self.accounts, login: {**self.accounts[login], **claims}})

    def attack_next_token(self, mode: str) -> None:
        """The next token response is changed on its way to the app ("tamper", "replay", "audience", "issuer")."""
        requests.post(f"{self.origin}/__test/next-token", json={"mode": mode}, timeout=5).raise_for_status()

    def settings(self, provider_id: str, label: str, **extra) -> dict:
        """This provider as one entry of the app's SSO_PROVIDERS (what lms/config.py reads from SSO_<ID>_*)."""
        return {"id": provider_id, "label": label, "issuer": self.issuer, "client_id": self.client_id,
                "client_secret": self.client_secret, "tenants": (), "domains": (), **extra}

    def close(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
        shutil.rmtree(self._folder, ignore_errors=True)


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attributes.get("action")
        elif tag == "input" and attributes.get("name") and attributes.get("type") == "hidden":
            self.fields[attributes["name"]] = attributes.get("value") or ""


class PersonAtProvider:
    """Someone signing in on the provider's own page, by HTTP, with the provider's cookies kept."""

    def __init__(self, provider: OpenIdProvider) -> None:
        self.provider = provider
        self.browser = requests.Session()

    def sign_in(self, authorize_url: str, login: str, back_to: str) -> str:
        """From the app's redirect to the provider, sign in as `login`; the app's callback address it sends back."""
        url, page = authorize_url, None
        for _ in range(12):
            response = self.browser.get(url, allow_redirects=False, timeout=10)
            if response.is_redirect:
                url = urljoin(url, response.headers["Location"])
                if url.startswith(back_to):
                    return url
                continue
            page = response
            if response.status_code != 200:
                raise AssertionError(f"the provider answered {response.status_code}: {response.text[:500]}")
            form = _Form()
            form.feed(response.text)
            if form.action is None:
                raise AssertionError(f"no form on the provider's page: {response.text[:500]}")
            response = self.browser.post(urljoin(url, form.action), allow_redirects=False, timeout=10,
                                         data={**form.fields, "login": login, "password": "any-password"})
            assert response.is_redirect, response.text[:500]
            url = urljoin(url, response.headers["Location"])
            if url.startswith(back_to):
                return url
        raise AssertionError(f"never sent back to {back_to}; last page: {page.text[:500] if page else url}")
