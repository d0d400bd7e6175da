"""What a verified ID token says about who is signing in, and whether the trust accepts it.

The signature, issuer, audience, expiry and nonce are checked by Authlib before these rules run
(lms/sso/client.py); these are the trust's own rules on top, in one place for every provider:

- Tenant: with SSO_<ID>_TENANTS set, the token's `tid` must be one of them.
- Email: the address must be verified. A provider that says so sends `email_verified` (Google
  does), and it must be true. Entra ID sends no such claim: its `email` (else
  `preferred_username`) is trusted only when the tenant is one the trust named in
  SSO_<ID>_TENANTS, whose own administrators manage those addresses. Any other token without
  `email_verified` is refused, so a provider account with a made-up address opens nothing.
- Domain: with SSO_<ID>_DOMAINS set, the address must be in one of them, and so must Google's
  `hd` (the Workspace domain) where the token has one.
- Subject: Entra's `oid` (the same for the person whatever app asks), else `sub`. It is what
  links the account to a person once matched (lms/sso/matching.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lms.models.sso import SUBJECT_MAX
from lms.people.directory import normalise_email
from lms.sso.providers import Provider, email_domain

TENANT_PLACEHOLDER = "{tenantid}"  # Entra's multi-tenant discovery names the issuer with this


@dataclass(frozen=True)
class Identity:
    subject: str
    email: str  # lower case


@dataclass(frozen=True)
class Refusal:
    reason: str  # "tenant", "unverified", "domain", "no_email": kept in the audit log
    email: str  # what the provider said, for the page and the log ("" when it sent none)


def expected_issuer(metadata_issuer: str, claims: Mapping) -> str:
    """The issuer the token must name: the discovery document's, with Entra's {tenantid} filled in.

    Entra's `organizations` and `common` endpoints publish the issuer as a template; the token
    names its own tenant. The tenant itself is checked against SSO_<ID>_TENANTS by `identity`.
    """
    if TENANT_PLACEHOLDER in metadata_issuer:
        return metadata_issuer.replace(TENANT_PLACEHOLDER, str(claims.get("tid", "")))
    return metadata_issuer


def _address(claims: Mapping) -> str:
    for name in ("email", "preferred_username"):
        value = claims.get(name)
        if isinstance(value, str) and "@" in value:
            return normalise_email(value)
    return ""


def identity(provider: Provider, claims: Mapping) -> Identity | Refusal:
    """Who the token names, or why the trust does not accept it."""
    email = _address(claims)
    tenant = claims.get("tid")
    if provider.tenants and tenant not in provider.tenants:
        return Refusal("tenant", email)
    if not email:
        return Refusal("no_email", "")
    if "email_verified" in claims:
        if claims["email_verified"] not in (True, "true"):  # a few providers send the word
            return Refusal("unverified", email)
    elif not (provider.tenants and tenant in provider.tenants):
        return Refusal("unverified", email)
    if provider.domains:
        hosted = claims.get("hd")
        if email_domain(email) not in provider.domains or (hosted is not None and str(hosted).lower()
                                                             not in provider.domains):
            return Refusal("domain", email)
    subject = claims.get("oid") or claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > SUBJECT_MAX:
        return Refusal("no_subject", email)
    return Identity(subject=subject, email=email)
