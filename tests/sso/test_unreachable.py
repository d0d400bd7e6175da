"""A provider that cannot be reached gives a page saying so, not an error."""

from __future__ import annotations

import socket

import pytest
from markupsafe import escape


@pytest.fixture
def sso_settings(sso_settings):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    microsoft = {**sso_settings["SSO_PROVIDERS"][0], "issuer": f"http://127.0.0.1:{port}/tenant/v2.0"}
    return {**sso_settings, "SSO_PROVIDERS": (microsoft,)}


def test_an_unreachable_provider_is_explained(client):
    response = client.get("/login/sso/microsoft")
    assert response.status_code == 502
    assert str(escape("We could not reach Microsoft just now.")) in response.get_data(as_text=True)
