"""SSO_ONLY_DOMAINS: staff at those domains must use their school account (no password, no reset emails)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.models import OutboxMessage
from tests.auth.helpers import committed_events, says
from tests.conftest import PASSWORD

USE_SCHOOL_ACCOUNT = ("Staff with an address at oak.example.org sign in with their school account, not a password: "
                      "use “Sign in with Microsoft” or “Sign in with Google” above.")


@pytest.fixture
def sso_settings(sso_settings):
    return {**sso_settings, "SSO_ONLY_DOMAINS": ("oak.example.org",)}


def test_password_sign_in_is_refused_for_an_sso_only_domain(client, people):
    person = people.person(email="Teacher@Oak.example.org")
    client.get("/login")
    response = client.post("/login", {"email": person.email, "password": PASSWORD})
    assert response.status_code == 200 and says(response, USE_SCHOOL_ACCOUNT)
    assert client.get("/").status_code == 302  # not signed in
    assert committed_events("sign_in") == []


def test_people_at_other_domains_still_sign_in_with_a_password(client, people):
    person = people.person(email="volunteer@river.example.org")
    response = client.login(person.email)
    assert response.status_code == 302 and client.get("/").status_code == 200


def test_no_reset_email_is_sent_to_an_sso_only_domain(client, people):
    person = people.person(email="teacher@oak.example.org")
    client.get("/password/reset")
    response = client.post("/password/reset", {"email": person.email})
    assert response.status_code == 422 and says(response, USE_SCHOOL_ACCOUNT)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    client.post("/password/reset", {"email": "volunteer@river.example.org"})
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1  # other domains as before
