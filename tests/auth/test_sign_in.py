"""Signing in and out: limits per account and per address, a fresh session, and the audit log."""

from sqlalchemy import func, select

from lms.audit import verify
from lms.auth.views import BAD_SIGN_IN, TOO_MANY_FOR_ACCOUNT, TOO_MANY_FROM_ADDRESS
from lms.extensions import db
from lms.models import Person, WebSession
from tests.auth.helpers import committed_events, says, sign_in, without_tokens
from tests.conftest import PASSWORD


def test_the_11th_wrong_password_for_one_account_is_refused_from_any_address(make_client, people):
    target = people.person(email="jo@example.org")
    other = people.person(email="sam@example.org")
    attacker = make_client()
    for n in range(10):  # each guess from a different address: the per-address limit never applies
        response = sign_in(attacker, "jo@example.org", f"guess-number-{n}", address=f"203.0.113.{n + 1}")
        assert response.status_code == 200 and says(response, BAD_SIGN_IN)

    # The 11th is refused even with the right password and the email typed differently.
    eleventh = sign_in(make_client(), " JO@Example.org ", PASSWORD, address="198.51.100.99")
    assert eleventh.status_code == 429 and says(eleventh, TOO_MANY_FOR_ACCOUNT)
    assert not says(eleventh, BAD_SIGN_IN)

    # Another account signs in from the very same address.
    fine = sign_in(make_client(), other.email, PASSWORD, address="198.51.100.99")
    assert fine.status_code == 302 and fine.location == "/"
    assert db.session.get(Person, target.id).last_login_at is None


def test_a_limited_unknown_address_looks_the_same_as_a_limited_account(make_client, people):
    people.person(email="jo@example.org")
    answers = []
    for email in ("jo@example.org", "nobody@example.org"):
        client = make_client()
        for n in range(10):
            sign_in(client, email, f"wrong-{n}", address=f"192.0.2.{n + 1}")
        answers.append(sign_in(client, email, "wrong-again", address="192.0.2.200"))
    known, unknown = answers
    assert known.status_code == unknown.status_code == 429
    assert without_tokens(known).replace("jo@example.org", "X") == without_tokens(unknown).replace("nobody@example.org", "X")


def test_successful_sign_ins_do_not_count_against_the_account(make_client, people):
    person = people.person()
    for n in range(12):
        response = sign_in(make_client(), person.email, PASSWORD, address=f"192.0.2.{n + 1}")
        assert response.status_code == 302, n


def test_more_than_20_attempts_a_minute_from_one_address_are_refused(make_client, people):
    client = make_client()
    for n in range(20):  # every attempt counts, even one refused before any password is checked
        assert sign_in(client, f"someone{n}@example.org", "", address="192.0.2.50").status_code == 200
    response = sign_in(client, "someone-else@example.org", "not-the-password", address="192.0.2.50")
    assert response.status_code == 429 and says(response, TOO_MANY_FROM_ADDRESS)
    # Another address is not held up.
    assert sign_in(make_client(), people.person().email, PASSWORD, address="192.0.2.51").status_code == 302


def test_signing_in_starts_a_fresh_session_and_is_recorded(client, people):
    person = people.person(email="jo@example.org")
    client.get("/login")
    with client.raw.session_transaction() as session:
        session["planted"] = "by someone else before sign-in"
    response = sign_in(client, "Jo@Example.org", PASSWORD, address="192.0.2.7")
    assert response.status_code == 302
    with client.raw.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == str(person.id) and "session" in session
    db.session.expire_all()
    assert db.session.get(Person, person.id).last_login_at is not None
    [row] = db.session.scalars(select(WebSession)).all()  # the session's row on the server
    assert (row.person_id, row.address) == (person.id, "192.0.2.7")
    [event] = committed_events("sign_in")
    assert (event["actor_id"], event["subject_id"], event["address"]) == (person.id, person.id, "192.0.2.7")
    assert (event["object_type"], event["object_id"], event["detail"]) == ("web_session", row.id, {"method": "password"})


def test_a_failed_sign_in_is_recorded_and_committed_with_the_typed_address(client, people):
    person = people.person(email="jo@example.org")
    sign_in(client, " Jo@Example.org", "not-my-password", address="192.0.2.8")
    sign_in(client, "nobody@example.org", PASSWORD, address="192.0.2.9")
    known, unknown = committed_events("sign_in_failed")  # read over another connection: committed
    assert known["subject_id"] == person.id and known["detail"] == {"email": " Jo@Example.org"}
    assert known["actor_id"] is None and known["address"] == "192.0.2.8"
    assert unknown["subject_id"] is None and unknown["detail"] == {"email": "nobody@example.org"}
    assert verify(db.session)[1] is None  # and the chain holds


def test_an_inactive_account_fails_like_a_wrong_password_and_is_recorded(client, people):
    person = people.person(active=False)
    response = sign_in(client, person.email, PASSWORD)
    assert response.status_code == 200 and says(response, BAD_SIGN_IN)
    assert [e["subject_id"] for e in committed_events("sign_in_failed")] == [person.id]


def test_signing_out_ends_the_session_and_is_recorded(client, people):
    person = people.person()
    client.login(person.email)
    page = client.get("/").get_data(as_text=True)
    assert "Sign out" in page and "Change password" in page
    response = client.post("/logout")
    assert response.status_code == 302 and response.location == "/login"
    with client.raw.session_transaction() as session:
        assert "_user_id" not in session and "session" not in session
    assert client.get("/").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(WebSession)) == 0  # the row is gone
    [event] = committed_events("session.ended")
    assert (event["actor_id"], event["subject_id"], event["detail"]) == (person.id, person.id, {"how": "sign_out"})


def test_the_session_cookie_is_http_only_and_same_site_lax(client, people):
    client.get("/login")
    response = sign_in(client, people.person().email, PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development serves plain http on 127.0.0.1


def test_in_production_the_session_cookie_is_also_secure(monkeypatch, database_url):
    from lms import create_app

    monkeypatch.setenv("LMS_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "p" * 64)
    monkeypatch.setenv("AUDIT_KEY", "a" * 64)
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")  # required in production; a GET never uses it
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    response = app.test_client().get("/login", base_url="https://training.example.org")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_nobody_is_signed_in_by_a_password_hash_left_empty(client, people):
    person = people.person()
    person.password_hash = None  # as the staff import leaves everyone
    db.session.commit()
    for typed in ("", " ", "None"):
        client.get("/login")
        response = client.post("/login", {"email": person.email, "password": typed})
        assert response.status_code in (200, 422) and "_user_id" not in _session(client)
    assert db.session.scalar(select(Person.last_login_at).where(Person.id == person.id)) is None


def _session(client) -> dict:
    with client.raw.session_transaction() as session:
        return dict(session)
