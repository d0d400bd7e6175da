"""Signing in with Microsoft (Entra ID) and Google, against a real OpenID Provider (tests/oidc).

Each refusal must show a plain page saying what happened, and leave nothing behind: no
person, no link to the provider, no session.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from lms.clock import travel_to, utcnow
from lms.extensions import db
from lms.models import Person, SsoLink, WebSession
from tests.auth.helpers import committed_events, says, text
from tests.oidc.harness import PersonAtProvider
from tests.sso.conftest import APP_BASE_URL, OAK, RIVER

NOT_ON_LIST = ("You are signed in to Microsoft as nobody@oak.example.org, but you are not on the trust's staff "
               "list — ask your school office")


def authorize_url(client, provider_id: str, next_page: str | None = None) -> str:
    response = client.get(f"/login/sso/{provider_id}", query_string={"next": next_page} if next_page else None)
    assert response.status_code == 302, text(response)
    return response.headers["Location"]


def callback_address(client, provider, provider_id: str, login: str, next_page: str | None = None) -> str:
    """The app's callback address the provider sends the browser back to, once `login` has signed in there."""
    return PersonAtProvider(provider).sign_in(authorize_url(client, provider_id, next_page), login,
                                              back_to=f"{APP_BASE_URL}/login/sso/{provider_id}/callback")


def come_back(client, address: str):
    parts = urlsplit(address)
    return client.get(f"{parts.path}?{parts.query}")


def sign_in_with(client, provider, provider_id: str, login: str, next_page: str | None = None):
    return come_back(client, callback_address(client, provider, provider_id, login, next_page))


def signed_in_as(client) -> int | None:
    """Who the app's session cookie signs in, judged by the server (None: nobody)."""
    home = client.get("/")
    if home.status_code != 200:
        return None
    with client.raw.session_transaction() as session:
        return int(session["_user_id"]) if "_user_id" in session else None


def nothing_created(people_before: int) -> None:
    assert db.session.scalar(select(func.count()).select_from(Person)) == people_before
    assert db.session.scalar(select(func.count()).select_from(SsoLink)) == 0
    assert db.session.scalar(select(func.count()).select_from(WebSession)) == 0


@pytest.fixture
def staff(people):
    oak, river = people.unit("Oakfield Primary"), people.unit("Riverside Academy")
    return {
        "alice": people.person(unit=oak, email="Alice@Oak.example.org"),  # the import's spelling, in another case
        "bea": people.person(unit=oak, email=f"bea@{OAK}"),
        "bob": people.person(unit=oak, email=f"bob@{OAK}"),
        "left": people.person(unit=oak, email=f"left@{OAK}", active=False),
        "gina": people.person(unit=river, email=f"gina@{RIVER}"),
    }


def test_a_staff_member_signs_in_with_microsoft_and_is_linked_by_subject(make_client, entra, staff):
    client = make_client()
    response = sign_in_with(client, entra, "microsoft", "alice", next_page="/account/sessions")
    assert response.status_code == 302 and response.headers["Location"] == "/account/sessions"
    alice = staff["alice"]
    assert signed_in_as(client) == alice.id
    link = db.session.scalars(select(SsoLink)).one()
    assert (link.person_id, link.provider, link.subject, link.email_at_link) == (alice.id, "microsoft", "oid-alice",
                                                                                 f"alice@{OAK}")
    events = committed_events("sign_in")
    assert [e["detail"] for e in events] == [{"method": "sso", "provider": "microsoft", "linked": True}]
    assert events[0]["subject_id"] == alice.id
    db.session.expire_all()
    assert db.session.get(Person, alice.id).last_login_at is not None


def test_entra_without_an_email_claim_uses_preferred_username(make_client, entra, staff):
    client = make_client()
    assert sign_in_with(client, entra, "microsoft", "bea").status_code == 302
    assert signed_in_as(client) == staff["bea"].id


def test_a_staff_member_signs_in_with_google(make_client, google, staff):
    client = make_client()
    assert sign_in_with(client, google, "google", "gina").status_code == 302
    assert signed_in_as(client) == staff["gina"].id
    assert db.session.scalars(select(SsoLink.subject)).one() == "gina"  # Google's sub


@pytest.mark.parametrize(("provider_name", "login", "message"), [
    ("entra", "outsider", "which is not in one of the trust's organisations"),
    ("google", "personal", "which is not a school address the trust accepts"),
    ("google", "other-workspace", "which is not a school address the trust accepts"),
    ("google", "unverified", "Google has not confirmed that gina@river.example.org belongs to you"),
    ("entra", "stranger", NOT_ON_LIST),
    ("entra", "leaver", "belongs to someone who has left the trust"),
])
def test_accounts_the_trust_does_not_accept_are_refused_and_nothing_is_created(
        make_client, request, staff, provider_name, login, message):
    provider = request.getfixturevalue(provider_name)
    provider_id = "microsoft" if provider_name == "entra" else "google"
    before = db.session.scalar(select(func.count()).select_from(Person))
    client = make_client()
    response = sign_in_with(client, provider, provider_id, login)
    assert response.status_code == 403
    assert says(response, message), text(response)
    assert "You have not been signed in" in text(response)
    assert signed_in_as(client) is None
    nothing_created(before)
    [failed] = committed_events("sign_in_failed")
    assert failed["detail"]["method"] == "sso" and failed["detail"]["provider"] == provider_id


@pytest.mark.parametrize("attack", ["tamper", "replay", "audience", "issuer"])
def test_an_id_token_changed_on_the_way_is_refused(make_client, entra, staff, attack):
    if attack == "replay":  # the provider must have issued a token before, to someone who signed out since
        earlier = make_client()
        assert sign_in_with(earlier, entra, "microsoft", "alice").status_code == 302
        earlier.get("/")
        earlier.post("/logout")
        db.session.execute(SsoLink.__table__.delete())
        db.session.commit()
    before = db.session.scalar(select(func.count()).select_from(Person))
    client = make_client()
    address = callback_address(client, entra, "microsoft", "bea")
    entra.attack_next_token(attack)
    response = come_back(client, address)
    assert response.status_code == 400
    assert says(response, "The answer from Microsoft could not be trusted, so you have not been signed in."), text(response)
    assert signed_in_as(client) is None
    nothing_created(before)
    reasons = [e["detail"]["reason"] for e in committed_events("sign_in_failed")]
    assert len(reasons) == 1 and reasons[0].startswith("id_token:")


def test_a_wrong_state_is_refused(make_client, entra, staff):
    client = make_client()
    address = callback_address(client, entra, "microsoft", "alice")
    forged = address.replace("state=", "state=forged")
    response = come_back(client, forged)
    assert response.status_code == 400
    assert says(response, "This sign-in has already been used, was started in another browser, or took too long.")
    assert signed_in_as(client) is None
    assert db.session.scalar(select(func.count()).select_from(SsoLink)) == 0


def test_a_callback_from_another_browser_is_refused(make_client, entra, staff):
    """Someone sent the victim's callback address (or the attacker's own) opens nothing in a browser that did not start it."""
    address = callback_address(make_client(), entra, "microsoft", "alice")
    other = make_client()
    response = come_back(other, address)
    assert response.status_code == 400 and signed_in_as(other) is None


def test_a_reused_authorization_code_is_refused(make_client, entra, staff):
    client = make_client()
    address = callback_address(client, entra, "microsoft", "alice")
    cookie_before = client.raw.get_cookie("session").value  # holds the state, nonce and PKCE verifier
    assert come_back(client, address).status_code == 302  # the first use signs Alice in
    replayer = make_client()
    replayer.raw.set_cookie("session", cookie_before, domain="localhost")
    response = come_back(replayer, address)
    assert response.status_code == 400
    assert says(response, "Microsoft did not accept this sign-in: its code has been used already or has expired.")
    assert signed_in_as(replayer) is None
    assert [e["detail"]["reason"] for e in committed_events("sign_in_failed")] == ["code"]


def test_an_expired_id_token_is_refused(make_client, entra, staff):
    client = make_client()
    address = callback_address(client, entra, "microsoft", "alice")
    with travel_to(utcnow() + timedelta(hours=2)):  # the provider's ID tokens last an hour
        response = come_back(client, address)
    assert response.status_code == 400
    assert says(response, "The sign-in from Microsoft has expired.")
    assert db.session.scalar(select(func.count()).select_from(SsoLink)) == 0


def test_a_clock_a_little_out_is_allowed(make_client, entra, staff):
    client = make_client()
    address = callback_address(client, entra, "microsoft", "alice")
    with travel_to(utcnow() - timedelta(seconds=45)):  # our clock behind the provider's: the token seems issued later
        assert come_back(client, address).status_code == 302


def test_changing_the_email_at_the_provider_does_not_move_the_account(make_client, entra, staff):
    first = make_client()
    assert sign_in_with(first, entra, "microsoft", "alice").status_code == 302
    entra.change("alice", email=f"bob@{OAK}", preferred_username=f"bob@{OAK}")  # at Microsoft, now Bob's address
    again = make_client()
    assert sign_in_with(again, entra, "microsoft", "alice").status_code == 302
    assert signed_in_as(again) == staff["alice"].id  # still Alice: the subject id decides
    assert db.session.scalar(select(func.count()).select_from(SsoLink).where(SsoLink.person_id == staff["bob"].id)) == 0


def test_another_account_with_a_linked_persons_email_is_refused(make_client, entra, staff):
    assert sign_in_with(make_client(), entra, "microsoft", "alice").status_code == 302
    client = make_client()
    response = sign_in_with(client, entra, "microsoft", "imposter")
    assert response.status_code == 403
    assert says(response, "is already linked to a different Microsoft account")
    assert signed_in_as(client) is None
    assert db.session.scalars(select(SsoLink.subject)).all() == ["oid-alice"]


def test_a_linked_person_who_leaves_is_refused(make_client, entra, staff):
    assert sign_in_with(make_client(), entra, "microsoft", "alice").status_code == 302
    staff["alice"].active = False
    db.session.commit()
    client = make_client()
    response = sign_in_with(client, entra, "microsoft", "alice")
    assert response.status_code == 403 and says(response, "belongs to someone who has left the trust")


def test_an_sso_session_is_an_ordinary_session(make_client, entra, staff):
    client = make_client()
    assert sign_in_with(client, entra, "microsoft", "alice").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(WebSession)) == 1
    client.get("/")
    client.post("/logout")
    assert db.session.scalar(select(func.count()).select_from(WebSession)) == 0
    assert signed_in_as(client) is None


def test_the_sign_in_page_has_a_button_per_provider(client, staff):
    page = text(client.get("/login"))
    assert 'href="/login/sso/microsoft"' in page and ">Sign in with Microsoft<" in page
    assert 'href="/login/sso/google"' in page and ">Sign in with Google<" in page
    assert 'name="password"' in page  # the password form stays, for people without a school account


def test_an_unknown_provider_is_not_found(client):
    assert client.get("/login/sso/yahoo").status_code == 404
    assert client.get("/login/sso/yahoo/callback").status_code == 404


def test_a_cancelled_sign_in_at_the_provider_says_so(make_client, entra, staff):
    client = make_client()
    authorize_url(client, "microsoft")
    with client.raw.session_transaction() as session:
        state = next(key for key in session if key.startswith("_state_microsoft_")).removeprefix("_state_microsoft_")
    response = client.get(f"/login/sso/microsoft/callback?error=access_denied&error_description=User+cancelled&state={state}")
    assert response.status_code == 400
    assert says(response, "Signing in with Microsoft was cancelled or refused: User cancelled.")
