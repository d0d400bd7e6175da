"""Two-factor sign-in for admins, trust leads and CEOs who sign in with a password (issue 16).

The pages are driven as a person uses them: the key is read off the set-up page and the codes are
made from it with pyotp, as an authenticator app makes them, at times set with lms.clock.travel_to.
"""

from __future__ import annotations

import hashlib
import re
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pyotp
import pytest
from sqlalchemy import func, select, text

from lms.audit import verify
from lms.auth import two_factor
from lms.auth.two_factor_views import (
    EXPIRED,
    MALFORMED_CODE,
    MALFORMED_RECOVERY,
    REPLACED,
    REUSED_CODE,
    SIGN_IN_FIRST,
    TOO_MANY,
    USED_RECOVERY,
    WRONG_CODE,
    WRONG_RECOVERY,
)
from lms.clock import travel_to, utcnow
from lms.extensions import db
from lms.models import Person, RecoveryCode, Role, TwoFactorSecret, WebSession
from tests.auth.helpers import committed_events, says
from tests.conftest import PASSWORD

START = datetime(2026, 12, 7, 9, 0, 0, tzinfo=UTC)  # the first second of a 30-second step
PRIVILEGED = [Role.admin, Role.trust_lead, Role.ceo]
_KEY = re.compile(r'id="two-factor-secret">([A-Z2-7 ]+)<')
_CODES = re.compile(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>")


@pytest.fixture
def clock():
    """lms.clock held at START, moved on by `clock.move(seconds)`."""
    moments = [START]
    with ExitStack() as stack:
        stack.enter_context(travel_to(START))

        def move(seconds: float) -> datetime:
            moments.append(moments[-1] + timedelta(seconds=seconds))
            stack.enter_context(travel_to(moments[-1]))
            return moments[-1]

        yield SimpleNamespace(now=lambda: moments[-1], move=move)


def page(response) -> str:
    return response.get_data(as_text=True)


def password(client, email: str, next_url: str | None = None, address: str = "127.0.0.1"):
    """The password step alone, and the page it leads to (as a browser follows it); the sign-in form's answer."""
    client.get("/login")
    url = "/login" + (f"?next={next_url}" if next_url else "")
    response = client.post(url, {"email": email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": address})
    if response.status_code == 302 and response.location.startswith("/login/code"):
        client.get(response.location, environ_base={"REMOTE_ADDR": address})  # its form token, too
    return response


def code_for(key: str, moment: datetime, steps: int = 0) -> str:
    """What the app shows at `moment`, or `steps` steps of 30 seconds later."""
    totp = pyotp.TOTP(key)
    return totp.generate_otp(totp.timecode(moment) + steps)


def wrong_code_for(key: str, moment: datetime) -> str:
    near = {code_for(key, moment, s) for s in (-1, 0, 1)}
    return next(c for c in (f"{n:06d}" for n in range(123456, 999999, 7919)) if c not in near)


def signed_in(client) -> bool:
    return client.get("/").status_code == 200


def set_up(client, email: str):
    """Password, then set-up with the key read off the page: (key, recovery codes shown, the answer)."""
    assert password(client, email).location == "/login/code/setup"
    shown = client.get("/login/code/setup")
    key = _KEY.search(page(shown)).group(1).replace(" ", "")
    done = client.post("/login/code/setup", {"code": code_for(key, utcnow())})
    assert done.status_code == 200, page(done)
    return key, _CODES.findall(page(done)), done


def sign_out(client) -> None:
    client.get("/")
    client.post("/logout")


@pytest.fixture
def admin(people):
    return people.person(email="nadia@example.org", roles=(Role.admin,))


# --- who needs it --------------------------------------------------------------------------------

@pytest.mark.parametrize("role", PRIVILEGED, ids=lambda r: r.value)
def test_a_privileged_person_with_the_right_password_is_not_signed_in_until_the_code(role, client, people, clock):
    person = people.person(email="boss@example.org", roles=(role,))
    client.get("/login")
    with client.raw.session_transaction() as session:
        session["planted"] = "by someone else before the password"
    response = password(client, "Boss@Example.org")
    assert response.status_code == 302 and response.location == "/login/code/setup"
    with client.raw.session_transaction() as session:
        assert "_user_id" not in session and "session" not in session  # half signed in: no session at all
        assert "planted" not in session  # nothing from before the password carries over
        assert session["two_factor"]["id"] == person.id
    assert client.get("/").status_code == 302  # every page still asks to sign in
    assert client.get("/account/password").location.startswith("/login")
    assert db.session.scalar(select(func.count()).select_from(WebSession)) == 0
    db.session.expire_all()
    assert db.session.get(Person, person.id).last_login_at is None
    assert committed_events("sign_in") == []


@pytest.mark.parametrize("roles", [(), (Role.headteacher,)], ids=["staff", "headteacher"])
def test_staff_and_headteachers_sign_in_with_the_password_alone(roles, client, people):
    person = people.person(roles=roles)
    assert two_factor.required_for(person) is False
    response = password(client, person.email)
    assert response.status_code == 302 and response.location == "/"
    assert signed_in(client)
    [event] = committed_events("sign_in")
    assert event["detail"] == {"method": "password"}
    assert "Two-factor sign-in" not in page(client.get("/"))  # no link to a page that does not concern them


def test_someone_who_has_left_is_refused_at_the_password_as_before(client, people):
    people.person(email="gone@example.org", roles=(Role.admin,), active=False)
    response = password(client, "gone@example.org")
    assert response.status_code == 200 and "do not match an account" in page(response)


# --- setting up ---------------------------------------------------------------------------------

def test_setting_up_shows_a_qr_code_and_the_key_then_the_recovery_codes_once(app, client, admin, clock):
    assert password(client, admin.email, next_url="/training/history").location == "/login/code/setup"
    shown = client.get("/login/code/setup")
    body = page(shown)
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    row = db.session.get(TwoFactorSecret, admin.id)
    assert row.confirmed_at is None and len(row.secret) == 32
    key = _KEY.search(body).group(1)
    assert key == " ".join(row.secret[i:i + 4] for i in range(0, 32, 4))  # in fours, for typing
    # The QR code is drawn in the page (no image fetched) without inline style, which the CSP refuses.
    svg = re.search(r"<svg [^>]*>.*?</svg>", body, re.S).group(0)
    assert 'role="img"' in svg and "aria-label=" in svg and "style" not in svg and "<img" not in body
    width = int(re.search(r'width="(\d+)"', svg).group(1))
    assert 150 <= width <= 256  # scannable, and no sideways scrolling at 320 px
    assert f"{app.config['TRUST_NAME']} training (<span class=\"text\">{admin.email}</span>)" in body
    assert two_factor.otpauth_uri(row.secret, admin.email, "The Trust training") == (
        f"otpauth://totp/The%20Trust%20training:nadia%40example.org?secret={row.secret}&issuer=The%20Trust%20training")
    assert page(client.get("/login/code/setup")).count(key) == 1  # a reload shows the same key
    with client.raw.session_transaction() as session:
        assert row.secret not in str(dict(session))  # the cookie holds a fingerprint, never the key

    # The first code confirms it and signs in; the answer is the recovery codes, shown this once.
    done = client.post("/login/code/setup", {"code": code_for(row.secret, clock.now())})
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    assert says(done, "Save your recovery codes") and 'href="/training/history"' in page(done)
    codes = _CODES.findall(page(done))
    assert len(codes) == 10 and len(set(codes)) == 10
    assert signed_in(client)
    db.session.expire_all()
    row = db.session.get(TwoFactorSecret, admin.id)
    assert row.confirmed_at == clock.now() and row.last_step == pyotp.TOTP(row.secret).timecode(clock.now())
    assert db.session.get(Person, admin.id).last_login_at == clock.now()

    # Only the hashes are kept: no code is anywhere in the database, nor in any later page.
    stored = db.session.scalars(select(RecoveryCode).where(RecoveryCode.person_id == admin.id)).all()
    assert {r.code_hash for r in stored} == {hashlib.sha256(c.replace("-", "").encode()).hexdigest() for c in codes}
    assert all(r.used_at is None for r in stored)
    dump = " ".join(str(db.session.execute(text(f"SELECT * FROM {t.name}")).all()) for t in db.metadata.sorted_tables)
    assert not [c for c in codes if c in dump or c.replace("-", "") in dump]
    later = page(client.get("/account/two-factor"))
    assert "10 of 10" in later and not [c for c in codes if c in later]

    [event] = committed_events("sign_in")
    session_row = db.session.scalars(select(WebSession)).one()
    assert (event["actor_id"], event["subject_id"], event["object_type"], event["object_id"]) == (
        admin.id, admin.id, "web_session", session_row.id)
    assert event["detail"] == {"method": "password", "second_factor": "totp"}
    [made] = committed_events("two_factor_set_up")
    assert (made["actor_id"], made["subject_id"], made["detail"]) == (admin.id, admin.id, {"recovery_codes": 10})
    assert row.secret not in str(committed_events("two_factor_set_up") + committed_events("sign_in"))
    assert verify(db.session)[1] is None

    # Signed in, the set-up and code pages are behind them; the next sign-in asks for a code, not a set-up.
    assert client.get("/login/code/setup").location == "/"
    sign_out(client)
    assert password(client, admin.email).location == "/login/code"


def test_a_wrong_first_code_is_refused_and_nothing_is_confirmed(client, admin, clock):
    password(client, admin.email)
    key = _KEY.search(page(client.get("/login/code/setup"))).group(1).replace(" ", "")
    refused = client.post("/login/code/setup", {"code": wrong_code_for(key, clock.now())})
    assert refused.status_code == 422 and says(refused, WRONG_CODE)
    assert refused.headers["Cache-Control"] == "no-store"
    assert key in _KEY.search(page(refused)).group(1).replace(" ", "")  # the same key, to try again
    assert not signed_in(client)
    db.session.expire_all()
    assert db.session.get(TwoFactorSecret, admin.id).confirmed_at is None
    assert db.session.scalar(select(func.count()).select_from(RecoveryCode)) == 0
    [failed] = committed_events("two_factor_failed")
    assert failed["subject_id"] == admin.id and failed["actor_id"] is None
    assert failed["detail"] == {"second_factor": "totp", "reason": "wrong", "page": "set_up"}


def test_a_key_shown_to_another_browser_replaces_this_ones(make_client, admin, clock):
    """Someone else with the password starting set-up elsewhere: the key this browser showed stops working."""
    mine, theirs = make_client(), make_client()
    password(mine, admin.email)
    my_key = _KEY.search(page(mine.get("/login/code/setup"))).group(1).replace(" ", "")
    password(theirs, admin.email)
    their_key = _KEY.search(page(theirs.get("/login/code/setup"))).group(1).replace(" ", "")
    assert my_key != their_key
    moved = mine.post("/login/code/setup", {"code": code_for(my_key, clock.now())})
    assert moved.status_code == 302 and moved.location == "/login/code/setup"
    again = mine.get("/login/code/setup")
    assert says(again, REPLACED)
    assert _KEY.search(page(again)).group(1).replace(" ", "") not in (my_key, their_key)  # a key nobody else saw
    db.session.expire_all()
    assert db.session.get(TwoFactorSecret, admin.id).confirmed_at is None


def test_once_set_up_the_set_up_page_cannot_replace_the_app(client, make_client, admin, clock):
    key, _, _ = set_up(client, admin.email)
    other = make_client()  # someone who knows the password
    assert password(other, admin.email).location == "/login/code"
    assert other.get("/login/code/setup").location == "/login/code"
    assert other.post("/login/code/setup", {"code": "123456"}).location == "/login/code"
    db.session.expire_all()
    assert db.session.get(TwoFactorSecret, admin.id).secret == key


# --- the code -------------------------------------------------------------------------------------

def test_the_code_signs_in_spaces_and_all_and_goes_where_asked(client, admin, clock):
    key, _, _ = set_up(client, admin.email)
    sign_out(client)
    clock.move(30)
    assert password(client, admin.email, next_url="/training/history").location == "/login/code"
    shown = client.get("/login/code")
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    assert says(shown, "6-digit code from your authenticator app") and says(shown, "Use a recovery code instead")
    code = code_for(key, clock.now())
    done = client.post("/login/code", {"code": f" {code[:3]} {code[3:]} "})
    assert done.status_code == 302 and done.location == "/training/history"
    assert signed_in(client)
    events = committed_events("sign_in")
    assert len(events) == 2 and events[-1]["detail"] == {"method": "password", "second_factor": "totp"}


def test_a_wrong_code_is_refused_with_a_message_and_recorded(client, admin, clock):
    key, _, _ = set_up(client, admin.email)
    sign_out(client)
    clock.move(30)
    password(client, admin.email, address="192.0.2.40")
    refused = client.post("/login/code", {"code": wrong_code_for(key, clock.now())},
                          environ_base={"REMOTE_ADDR": "192.0.2.40"})
    assert refused.status_code == 422 and says(refused, WRONG_CODE)
    assert 'aria-invalid="true"' in page(refused)  # at the field, and in the summary
    assert not signed_in(client)
    [failed] = committed_events("two_factor_failed")
    assert (failed["subject_id"], failed["actor_id"], failed["address"]) == (admin.id, None, "192.0.2.40")
    assert failed["detail"] == {"second_factor": "totp", "reason": "wrong", "page": "sign_in"}
    for typed, status in (("12345", 422), ("12345a", 422), ("", 422)):
        answer = client.post("/login/code", {"code": typed})
        assert answer.status_code == status
        assert says(answer, MALFORMED_CODE if typed else "Enter the 6-digit code from your authenticator app.")
    assert len(committed_events("two_factor_failed")) == 1  # what is not a code is no guess


def test_codes_one_step_either_side_are_taken_and_none_further(client, admin, clock):
    key, _, _ = set_up(client, admin.email)
    sign_out(client)
    clock.move(600)
    password(client, admin.email)
    for steps in (2, -2):  # a minute out: refused
        assert client.post("/login/code", {"code": code_for(key, clock.now(), steps)}).status_code == 422
    assert client.post("/login/code", {"code": code_for(key, clock.now(), -1)}).status_code == 302  # a slow phone
    sign_out(client)
    clock.move(1)
    password(client, admin.email)
    assert client.post("/login/code", {"code": code_for(key, clock.now(), 1)}).status_code == 302  # a fast one


def test_a_code_already_used_is_refused_even_while_it_is_shown(make_client, admin, clock):
    first = make_client()
    key, _, _ = set_up(first, admin.email)
    sign_out(first)
    clock.move(30)
    code = code_for(key, clock.now())
    password(first, admin.email)
    assert first.post("/login/code", {"code": code}).status_code == 302
    # Someone who saw the code (and knows the password) tries it at once, and ten seconds on.
    other = make_client()
    password(other, admin.email)
    clock.move(10)
    refused = other.post("/login/code", {"code": code})
    assert refused.status_code == 422 and says(refused, REUSED_CODE)
    earlier = other.post("/login/code", {"code": code_for(key, clock.now(), -1)})  # an older step: refused too
    assert earlier.status_code == 422 and says(earlier, REUSED_CODE)
    assert not signed_in(other)
    assert [e["detail"]["reason"] for e in committed_events("two_factor_failed")] == ["reused", "reused"]
    clock.move(30)
    assert other.post("/login/code", {"code": code_for(key, clock.now())}).status_code == 302  # the next code


def test_two_requests_with_one_code_take_it_once(client, admin, clock):
    key, _, _ = set_up(client, admin.email)
    now = clock.move(30)
    code = code_for(key, now)
    assert two_factor.check_code(db.session, admin.id, code, now) is two_factor.Verdict.ok
    assert two_factor.check_code(db.session, admin.id, code, now) is two_factor.Verdict.reused
    db.session.rollback()


def test_the_half_signed_in_state_expires_after_ten_minutes(client, admin, clock):
    key, _, _ = set_up(client, admin.email)
    sign_out(client)
    clock.move(30)
    password(client, admin.email)
    clock.move(9 * 60 + 50)
    assert client.get("/login/code").status_code == 200  # still waiting
    clock.move(20)  # 10 minutes and 10 seconds after the password
    late = client.post("/login/code", {"code": code_for(key, clock.now())})
    assert late.status_code == 302 and late.location == "/login"
    assert says(client.get("/login"), EXPIRED)
    with client.raw.session_transaction() as session:
        assert "two_factor" not in session
    assert client.post("/login/code", {"code": code_for(key, clock.now())}).location == "/login"  # gone for good
    assert not signed_in(client)
    db.session.expire_all()
    assert db.session.get(TwoFactorSecret, admin.id).last_step < pyotp.TOTP(key).timecode(clock.now())  # not taken


def test_without_a_password_first_the_code_pages_send_one_to_sign_in(client, admin):
    for url in ("/login/code", "/login/code/setup"):
        assert client.get(url).location == "/login"
        assert says(client.get("/login"), SIGN_IN_FIRST)
        assert client.post(url, {"code": "123456"}).location == "/login"
    assert committed_events("two_factor_failed") == []


# --- recovery codes ------------------------------------------------------------------------------

def test_a_recovery_code_signs_in_once_and_says_how_many_are_left(client, admin, clock):
    _, codes, _ = set_up(client, admin.email)
    sign_out(client)
    password(client, admin.email, next_url="/training/history")
    done = client.post("/login/code", {"recovery_code": f" {codes[3].upper().replace('-', ' ')} "})
    assert done.status_code == 302 and done.location == "/training/history"
    assert "have 9 left" in page(client.get("/training/history"))
    events = committed_events("sign_in")
    assert events[-1]["detail"] == {"method": "password", "second_factor": "recovery_code"}
    spent = db.session.scalars(select(RecoveryCode).where(RecoveryCode.used_at.is_not(None))).all()
    assert [r.code_hash for r in spent] == [hashlib.sha256(codes[3].replace("-", "").encode()).hexdigest()]

    sign_out(client)
    password(client, admin.email)
    again = client.post("/login/code", {"recovery_code": codes[3]})
    assert again.status_code == 422 and says(again, USED_RECOVERY)
    wrong = client.post("/login/code", {"recovery_code": "22222-22222"})
    assert wrong.status_code == 422 and says(wrong, WRONG_RECOVERY)
    odd = client.post("/login/code", {"recovery_code": "not a code"})
    assert odd.status_code == 422 and says(odd, MALFORMED_RECOVERY)
    assert not signed_in(client)
    assert [e["detail"] for e in committed_events("two_factor_failed")] == [
        {"second_factor": "recovery_code", "reason": "reused", "page": "sign_in"},
        {"second_factor": "recovery_code", "reason": "wrong", "page": "sign_in"},
    ]


def test_the_last_recovery_codes_say_to_make_new_ones(client, admin, clock):
    _, codes, _ = set_up(client, admin.email)
    for n, code in enumerate(codes):
        sign_out(client)
        password(client, admin.email)
        assert client.post("/login/code", {"recovery_code": code}).status_code == 302
        shown = page(client.get("/"))
        left = 9 - n
        if left == 0:
            assert "your last recovery code. Make a new set now" in shown
        elif left <= 3:
            assert f"have only {left} left. Make a new set" in shown
        else:
            assert f"have {left} left;" in shown
    assert two_factor.recovery_codes_left(db.session, admin.id) == 0


# --- the limit -------------------------------------------------------------------------------------

def test_the_sixth_wrong_code_in_15_minutes_is_refused_even_when_right(make_client, admin, people, clock):
    setup_client = make_client()
    key, codes, _ = set_up(setup_client, admin.email)
    clock.move(30)
    guesser = make_client()
    password(guesser, admin.email)
    for _ in range(5):
        assert guesser.post("/login/code", {"code": wrong_code_for(key, clock.now())}).status_code == 422
    limited = guesser.post("/login/code", {"code": code_for(key, clock.now())})
    assert limited.status_code == 429 and says(limited, TOO_MANY)
    # Per person: another browser, even with the password again, or a recovery code, is held up too ...
    elsewhere = make_client()
    password(elsewhere, admin.email, address="198.51.100.7")
    assert elsewhere.post("/login/code", {"recovery_code": codes[0]}).status_code == 429
    assert not signed_in(guesser) and not signed_in(elsewhere)
    assert len(committed_events("two_factor_failed")) == 5
    # ... and so is the account page, signed in already; someone else is not held up at all.
    setup_client.get("/account/two-factor")
    account = setup_client.post("/account/two-factor", {"code": code_for(key, clock.now())})
    assert account.status_code == 429 and says(account, TOO_MANY)
    lead = people.person(email="lead@example.org", roles=(Role.trust_lead,))
    other = make_client()
    set_up(other, lead.email)
    assert signed_in(other)


def test_right_codes_do_not_count_against_the_limit(make_client, admin, clock):
    key, _, _ = set_up(make_client(), admin.email)
    for _ in range(6):
        clock.move(30)
        client = make_client()
        password(client, admin.email)
        assert client.post("/login/code", {"code": code_for(key, clock.now())}).status_code == 302


# --- the account page -------------------------------------------------------------------------------

def test_new_recovery_codes_from_the_account_page_replace_the_old(client, make_client, admin, clock):
    key, old_codes, _ = set_up(client, admin.email)
    home = page(client.get("/"))
    assert 'href="/account/two-factor"' in home  # beside "Change password"
    account = client.get("/account/two-factor")
    assert account.status_code == 200 and "10 of 10" in page(account)
    refused = client.post("/account/two-factor", {"code": code_for(key, clock.now())})  # the code just used
    assert refused.status_code == 422 and says(refused, REUSED_CODE)
    clock.move(30)
    made = client.post("/account/two-factor", {"code": code_for(key, clock.now())})
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    assert says(made, "The recovery codes you had before stopped working")
    new_codes = _CODES.findall(page(made))
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    assert db.session.scalar(select(func.count()).select_from(RecoveryCode)) == 10
    [event] = committed_events("two_factor_codes_made")
    assert (event["actor_id"], event["subject_id"], event["detail"]) == (admin.id, admin.id, {"recovery_codes": 10})
    assert [e["detail"]["page"] for e in committed_events("two_factor_failed")] == ["account"]

    other = make_client()
    password(other, admin.email)
    assert other.post("/login/code", {"recovery_code": old_codes[0]}).status_code == 422
    assert other.post("/login/code", {"recovery_code": new_codes[0]}).status_code == 302


def test_the_account_page_for_someone_without_an_app(client, make_client, people, admin):
    staff = people.person()
    client.login(staff.email)
    shown = client.get("/account/two-factor")
    assert shown.status_code == 200 and says(shown, "does not need a code")
    assert client.post("/account/two-factor", {"code": "123456"}).location == "/account/two-factor"
    assert make_client().get("/account/two-factor").location.startswith("/login")


# --- the IT manager's reset --------------------------------------------------------------------------

def test_an_it_manager_resets_a_lost_phone_and_the_person_sets_up_again(app, client, admin, clock):
    set_up(client, admin.email)
    sign_out(client)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["people", "reset-two-factor", " Nadia@Example.org "])
    assert result.exit_code == 0, result.output
    assert "Two-factor sign-in reset for nadia@example.org" in result.output and "10 recovery code(s)" in result.output
    db.session.expire_all()
    assert db.session.get(TwoFactorSecret, admin.id) is None
    assert db.session.scalar(select(func.count()).select_from(RecoveryCode)) == 0
    [event] = committed_events("two_factor_reset")
    assert (event["actor_id"], event["subject_id"]) == (None, admin.id)
    assert event["detail"] == {"how": "cli", "had_app": True, "recovery_codes": 10}
    assert verify(db.session)[1] is None

    assert password(client, admin.email).location == "/login/code/setup"  # a new app, at the next sign-in
    clock.move(30)
    key, codes, _ = set_up(client, admin.email)
    assert len(codes) == 10 and signed_in(client)

    again = runner.invoke(args=["people", "reset-two-factor", "nobody@example.org"])
    assert again.exit_code == 1 and "no account has the email address nobody@example.org" in again.output
    runner.invoke(args=["people", "reset-two-factor", admin.email])
    nothing = runner.invoke(args=["people", "reset-two-factor", admin.email])
    assert nothing.exit_code == 0 and "nothing was changed" in nothing.output
    assert len(committed_events("two_factor_reset")) == 2
