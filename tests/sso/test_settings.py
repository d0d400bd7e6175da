"""Reading SSO_* from the environment, and the trust's rules on what an ID token says (lms/sso/claims.py)."""

from __future__ import annotations

import pytest

from lms.config import sso_providers
from lms.sso.claims import Identity, Refusal, expected_issuer, identity
from lms.sso.providers import Provider

TENANT = "6f1e0c2a-5b7d-4c1e-9a3f-2d8b7e4c1a90"


def test_providers_are_read_from_the_environment():
    environ = {
        "SSO_PROVIDERS": "microsoft, google",
        "SSO_MICROSOFT_ISSUER": f"https://login.microsoftonline.com/{TENANT}/v2.0/",
        "SSO_MICROSOFT_CLIENT_ID": "app-id", "SSO_MICROSOFT_CLIENT_SECRET": "secret",
        "SSO_MICROSOFT_TENANTS": f"{TENANT}, other", "SSO_MICROSOFT_DOMAINS": "Oak.example.org,@river.example.org",
        "SSO_GOOGLE_ISSUER": "https://accounts.google.com", "SSO_GOOGLE_CLIENT_ID": "g",
        "SSO_GOOGLE_CLIENT_SECRET": "gs", "SSO_GOOGLE_LABEL": "Google Workspace",
    }
    microsoft, google = sso_providers(environ)
    assert microsoft == {"id": "microsoft", "label": "Microsoft",
                         "issuer": f"https://login.microsoftonline.com/{TENANT}/v2.0",
                         "client_id": "app-id", "client_secret": "secret", "tenants": (TENANT, "other"),
                         "domains": ("oak.example.org", "river.example.org")}
    assert google["label"] == "Google Workspace" and google["tenants"] == () and google["domains"] == ()
    assert Provider.from_settings(microsoft).metadata_url == (
        f"https://login.microsoftonline.com/{TENANT}/v2.0/.well-known/openid-configuration")


def test_none_configured_means_passwords_only():
    assert sso_providers({}) == ()
    assert sso_providers({"SSO_PROVIDERS": " "}) == ()


def test_a_provider_without_its_settings_stops_the_app_naming_what_is_missing():
    with pytest.raises(RuntimeError, match="SSO_MICROSOFT_CLIENT_ID, SSO_MICROSOFT_CLIENT_SECRET are not set"):
        sso_providers({"SSO_PROVIDERS": "microsoft", "SSO_MICROSOFT_ISSUER": "https://x"})
    with pytest.raises(RuntimeError, match="'micro soft' is not a provider id"):
        sso_providers({"SSO_PROVIDERS": "micro soft"})


def test_entra_multi_tenant_issuer_template_names_the_tokens_tenant():
    template = "https://login.microsoftonline.com/{tenantid}/v2.0"
    assert expected_issuer(template, {"tid": TENANT}) == f"https://login.microsoftonline.com/{TENANT}/v2.0"
    assert expected_issuer("https://accounts.google.com", {"tid": TENANT}) == "https://accounts.google.com"


ENTRA = Provider("microsoft", "Microsoft", "https://i", "c", "s", tenants=(TENANT,))
GOOGLE = Provider("google", "Google", "https://accounts.google.com", "c", "s", domains=("river.example.org",))


@pytest.mark.parametrize(("provider", "claims", "expected"), [
    # Entra: the oid is the subject; email, else preferred_username, trusted within a named tenant.
    (ENTRA, {"sub": "pairwise", "oid": "o1", "tid": TENANT, "email": "A@Oak.example.org"},
     Identity("o1", "a@oak.example.org")),
    (ENTRA, {"sub": "p", "oid": "o1", "tid": TENANT, "preferred_username": "b@oak.example.org"},
     Identity("o1", "b@oak.example.org")),
    (ENTRA, {"sub": "p", "oid": "o1", "tid": "another", "email": "a@oak.example.org"}, Refusal("tenant", "a@oak.example.org")),
    (ENTRA, {"sub": "p", "oid": "o1", "tid": TENANT, "preferred_username": "not-an-address"}, Refusal("no_email", "")),
    # No tenants named: an address without email_verified is not trusted.
    (Provider("m", "M", "https://i", "c", "s"), {"sub": "p", "tid": TENANT, "email": "a@oak.example.org"},
     Refusal("unverified", "a@oak.example.org")),
    # Google: email_verified must be true; hd, where sent, must be an accepted domain too.
    (GOOGLE, {"sub": "g1", "email": "gina@river.example.org", "email_verified": True, "hd": "river.example.org"},
     Identity("g1", "gina@river.example.org")),
    (GOOGLE, {"sub": "g1", "email": "gina@river.example.org", "email_verified": False},
     Refusal("unverified", "gina@river.example.org")),
    (GOOGLE, {"sub": "g1", "email": "gina@river.example.org", "email_verified": "false"},
     Refusal("unverified", "gina@river.example.org")),
    (GOOGLE, {"sub": "g1", "email": "gina@gmail.example", "email_verified": True}, Refusal("domain", "gina@gmail.example")),
    (GOOGLE, {"sub": "g1", "email": "gina@river.example.org", "email_verified": True, "hd": "elsewhere.org"},
     Refusal("domain", "gina@river.example.org")),
    (GOOGLE, {"sub": "x" * 256, "email": "gina@river.example.org", "email_verified": True},
     Refusal("no_subject", "gina@river.example.org")),
])
def test_the_trusts_rules_on_an_id_tokens_claims(provider, claims, expected):
    assert identity(provider, claims) == expected
