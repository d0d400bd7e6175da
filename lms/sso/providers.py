"""The providers a trust has configured (SSO_PROVIDERS and SSO_<ID>_*, read by lms/config.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app


@dataclass(frozen=True)
class Provider:
    id: str  # as in the routes: /login/sso/<id>
    label: str  # "Microsoft", "Google": the button says "Sign in with <label>"
    issuer: str  # the discovery URL base: <issuer>/.well-known/openid-configuration
    client_id: str
    client_secret: str
    tenants: tuple[str, ...] = ()  # Entra tenant ids accepted (the `tid` claim); none: any
    domains: tuple[str, ...] = ()  # email domains accepted (and Google's `hd`); none: any

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    @classmethod
    def from_settings(cls, settings: Mapping) -> Provider:
        return cls(id=settings["id"], label=settings["label"], issuer=settings["issuer"],
                   client_id=settings["client_id"], client_secret=settings["client_secret"],
                   tenants=tuple(settings.get("tenants", ())), domains=tuple(settings.get("domains", ())))


def configured() -> tuple[Provider, ...]:
    return tuple(Provider.from_settings(settings) for settings in current_app.config["SSO_PROVIDERS"])


def find(provider_id: str) -> Provider | None:
    return next((provider for provider in configured() if provider.id == provider_id), None)


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


def sso_only(email: str) -> bool:
    """Whether this address is in a domain whose people must sign in with their school account."""
    return email_domain(email) in current_app.config["SSO_ONLY_DOMAINS"]
