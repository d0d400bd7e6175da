"""Single sign-on tests against a real OpenID Provider (tests/oidc): one shaped like Entra ID, one like Google.

The app under test has both configured, as a trust would with SSO_PROVIDERS=microsoft,google.
The providers run for the whole test session (one pair per test process); each test starts
with the same accounts at them.
"""

from __future__ import annotations

import pytest

from tests.oidc.harness import OTHER_TENANT, TENANT, OpenIdProvider, need_provider

APP_BASE_URL = "http://127.0.0.1:5000"
OAK, RIVER = "oak.example.org", "river.example.org"

# What is typed as the login on the provider's page -> what the provider says of that account.
ENTRA_ACCOUNTS = {
    "alice": {"tid": TENANT, "oid": "oid-alice", "email": f"alice@{OAK}", "preferred_username": f"alice@{OAK}",
              "name": "Alice Adams"},
    "bea": {"tid": TENANT, "oid": "oid-bea", "preferred_username": f"Bea@{OAK}", "name": "Bea Brown"},  # no email claim
    "stranger": {"tid": TENANT, "oid": "oid-stranger", "email": f"nobody@{OAK}", "preferred_username": f"nobody@{OAK}"},
    "leaver": {"tid": TENANT, "oid": "oid-leaver", "email": f"left@{OAK}", "preferred_username": f"left@{OAK}"},
    # Another organisation's account claiming a staff member's address.
    "outsider": {"tid": OTHER_TENANT, "oid": "oid-outsider", "email": f"alice@{OAK}",
                 "preferred_username": f"alice@{OAK}"},
    # A second account in the tenant given Alice's address after she linked hers.
    "imposter": {"tid": TENANT, "oid": "oid-imposter", "email": f"alice@{OAK}", "preferred_username": f"alice@{OAK}"},
}
GOOGLE_ACCOUNTS = {
    "gina": {"email": f"gina@{RIVER}", "email_verified": True, "hd": RIVER, "name": "Gina Green"},
    "unverified": {"email": f"gina@{RIVER}", "email_verified": False, "hd": RIVER},
    "personal": {"email": "gina.green@gmail.example", "email_verified": True},  # a personal account: no hd
    "other-workspace": {"email": f"gina@{RIVER}", "email_verified": True, "hd": "elsewhere.example.org"},
}


def _callback(provider_id: str) -> str:
    return f"{APP_BASE_URL}/login/sso/{provider_id}/callback"


@pytest.fixture(scope="session")
def entra():
    need_provider()
    provider = OpenIdProvider("entra", [_callback("microsoft")], ENTRA_ACCOUNTS)
    yield provider
    provider.close()


@pytest.fixture(scope="session")
def google():
    need_provider()
    provider = OpenIdProvider("google", [_callback("google")], GOOGLE_ACCOUNTS)
    yield provider
    provider.close()


@pytest.fixture
def sso_settings(entra, google) -> dict:
    entra.set_accounts(ENTRA_ACCOUNTS)
    google.set_accounts(GOOGLE_ACCOUNTS)
    return {
        "APP_BASE_URL": APP_BASE_URL,
        "SSO_PROVIDERS": (entra.settings("microsoft", "Microsoft", tenants=(TENANT,), domains=(OAK,)),
                          google.settings("google", "Google", domains=(RIVER,))),
        "SSO_ONLY_DOMAINS": (),
    }


@pytest.fixture
def app_overrides(sso_settings) -> dict:
    """The suite's app (tests/conftest.py) with both providers configured."""
    return sso_settings
