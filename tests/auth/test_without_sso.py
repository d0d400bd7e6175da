"""With no provider configured (the embedded default, `make run`), sign-in is by password as before."""

from __future__ import annotations


def test_no_buttons_and_no_sso_routes_without_providers(client, app):
    assert app.config["SSO_PROVIDERS"] == ()
    page = client.get("/login").get_data(as_text=True)
    assert "/login/sso/" not in page and "Sign in with" not in page and 'name="password"' in page
    assert client.get("/login/sso/microsoft").status_code == 404
