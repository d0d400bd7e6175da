"""The OpenID Connect conversation with a provider, through Authlib (docs/dependencies.md).

Authlib does the protocol: discovery, the authorization code flow with PKCE (S256), `state`
and `nonce` kept in the signed session cookie, the code exchanged for tokens, and the ID
token's signature checked against the provider's published keys (fetched again when a token
names a key it has not seen, so key rotation works). This module adds what is the trust's:
the issuer template of Entra's multi-tenant endpoints, time read from lms.clock (so tests can
move it), a small allowance for clock skew, and one exception type the page can explain.
"""

from __future__ import annotations

from collections.abc import Mapping

import requests
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from authlib.oidc.core import CodeIDToken
from flask import Flask, current_app
from joserfc.errors import ExpiredTokenError, JoseError
from werkzeug.wrappers import Response

from lms.clock import utcnow
from lms.sso.claims import expected_issuer
from lms.sso.providers import Provider

CLOCK_SKEW_SECONDS = 60  # a provider's clock a minute ahead or behind ours is still accepted
HTTP_TIMEOUT_SECONDS = 10  # discovery, keys and the code exchange: a slow provider fails the sign-in, not the worker
SCOPES = "openid email profile"


class SignInFailed(Exception):
    """The sign-in could not be completed; `reason` is kept in the audit log, `message` shown."""

    def __init__(self, reason: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.reason, self.message, self.status = reason, message, status


class _IdToken(CodeIDToken):
    """Authlib's ID token checks, on the app's clock."""

    def validate(self, now=None, leeway=0):
        super().validate(now=int(utcnow().timestamp()), leeway=leeway)


def init_app(app: Flask) -> None:
    """One Authlib registry per app, with a client for each configured provider."""
    oauth = OAuth(app)
    for settings in app.config["SSO_PROVIDERS"]:
        provider = Provider.from_settings(settings)
        oauth.register(provider.id, client_id=provider.client_id, client_secret=provider.client_secret,
                       server_metadata_url=provider.metadata_url,
                       client_kwargs={"scope": SCOPES, "code_challenge_method": "S256",
                                      "default_timeout": HTTP_TIMEOUT_SECONDS})
    app.extensions["lms_sso"] = oauth


def _client(provider: Provider):
    return current_app.extensions["lms_sso"].create_client(provider.id)


def start(provider: Provider, redirect_uri: str) -> Response:
    """Send the browser to the provider's sign-in page, remembering state, nonce and PKCE verifier."""
    try:
        return _client(provider).authorize_redirect(redirect_uri)
    except (requests.RequestException, ValueError) as exc:  # discovery unreachable or not JSON
        current_app.logger.warning("SSO %s: discovery failed: %s", provider.id, exc)
        raise SignInFailed("unreachable", f"We could not reach {provider.label} just now. Try again in a few "
                           "minutes, or sign in with a password if you have one.", 502) from exc


def finish(provider: Provider) -> Mapping:
    """The claims of the verified ID token the provider sent back to the callback, else SignInFailed."""
    client = _client(provider)
    label = provider.label
    try:
        metadata = client.load_server_metadata()
        token = client.authorize_access_token(
            claims_cls=_IdToken, leeway=CLOCK_SKEW_SECONDS,
            claims_options={"iss": {"essential": True,
                                    "validate": lambda claims, value: value == expected_issuer(metadata["issuer"],
                                                                                                 claims)}})
    except MismatchingStateError as exc:
        raise SignInFailed("state", "This sign-in has already been used, was started in another browser, "
                           "or took too long. Start again from the sign-in page.") from exc
    except OAuthError as exc:
        if exc.error == "invalid_grant":
            raise SignInFailed("code", f"{label} did not accept this sign-in: its code has been used already or "
                               "has expired. Start again from the sign-in page.") from exc
        if exc.error == "access_denied":
            raise SignInFailed("denied", f"Signing in with {label} was cancelled or refused"
                               f"{': ' + exc.description if exc.description else ''}. Start again, "
                               "or ask your school office.") from exc
        raise SignInFailed(f"provider:{exc.error}"[:60], f"{label} refused this sign-in ({exc.error}). Start again "
                           "from the sign-in page; if it happens again, tell your IT team.") from exc
    except ExpiredTokenError as exc:
        raise SignInFailed("expired", f"The sign-in from {label} has expired. Start again; if it keeps happening, "
                           "this computer's clock may be wrong.") from exc
    except JoseError as exc:  # a bad signature, an unknown key, the wrong issuer, audience or nonce
        current_app.logger.warning("SSO %s: ID token refused: %r", provider.id, exc)
        raise SignInFailed(f"id_token:{getattr(exc, 'error', type(exc).__name__)}"[:60],
                           f"The answer from {label} could not be trusted, so you have not been signed in. "
                           "Start again from the sign-in page.") from exc
    except requests.RequestException as exc:
        current_app.logger.warning("SSO %s: provider unreachable: %s", provider.id, exc)
        raise SignInFailed("unreachable", f"We could not reach {label} to finish signing you in. Try again in "
                           "a few minutes.", 502) from exc
    claims = token.get("userinfo")
    if not claims:  # no ID token at all: nothing says who this is
        raise SignInFailed("id_token:missing", f"{label} did not say who you are, so you have not been signed in.")
    return claims
