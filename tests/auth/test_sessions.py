"""Sessions live on the server: a cookie opens nothing once its row is gone or past a limit.

Idle and absolute limits, signing out, a new password, leaving, and ending a session from the
sessions page all end the row, and a copy of the cookie taken before is then refused (pages and
forms alike). The API is left alone.
"""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from lms.auth.sessions import ENDED, TIMED_OUT
from lms.clock import travel_to, utcnow
from lms.extensions import db
from lms.models import Attempt, Person, WebSession
from tests.auth.helpers import committed_events, says
from tests.conftest import PASSWORD, Client
from tests.sqlcount import recorded_statements

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday morning
SLUG = "core-social-media"


def signed_in_at(client, person, moment=START):
    with travel_to(moment):
        client.login(person.email)


def rows(person_id: int | None = None) -> list[WebSession]:
    db.session.rollback()  # see what the requests committed
    query = select(WebSession).order_by(WebSession.id)
    if person_id is not None:
        query = query.where(WebSession.person_id == person_id)
    return list(db.session.scalars(query))


def with_cookie(app, value: str, token: str | None = None) -> Client:
    """Another browser holding a copy of a session cookie (and a CSRF token), as someone who took them would."""
    thief = Client(app.test_client())
    thief.raw.set_cookie("session", value)
    thief.token = token
    return thief


def copy_of_cookie(app, client) -> Client:
    return with_cookie(app, client.raw.get_cookie("session").value)


def attempts() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Attempt))


# --- the finding: a copy of the cookie outlived signing out ---------------------------------

def test_a_copy_of_the_cookie_taken_before_signing_out_opens_nothing_afterwards(app, client, people, content):
    person = people.person()
    client.login(person.email)
    stolen = client.raw.get_cookie("session").value
    thief = with_cookie(app, stolen)
    assert thief.get(f"/training/{SLUG}").status_code == 200 and thief.token  # works while the session lasts
    token = thief.token
    assert client.post("/logout").status_code == 302

    refused = with_cookie(app, stolen).get("/training/history")
    assert refused.status_code == 302 and refused.location == "/login?next=/training/history"
    # A form sent with the copied cookie and the CSRF token it earned is not acted on either.
    sent = with_cookie(app, stolen, token).post(f"/training/{SLUG}/start", {})
    assert sent.status_code == 302 and sent.location == "/login"
    assert attempts() == 0
    page = with_cookie(app, stolen)
    assert says(page.get(page.get("/").location), ENDED)
    assert rows() == []


def test_the_forwarded_for_header_neither_sets_the_address_nor_revives_a_session(app, client, people, content):
    person = people.person()
    victim = {"REMOTE_ADDR": "10.0.0.1"}
    client.raw.environ_base.update(victim)
    client.get("/login")
    client.post("/login", {"email": person.email, "password": PASSWORD},
                headers={"X-Forwarded-For": "203.0.113.9"})  # PROXY_HOPS is 0: no proxy is trusted
    [row] = rows(person.id)
    assert row.address == "10.0.0.1"
    assert committed_events("sign_in")[-1]["address"] == "10.0.0.1"
    thief = copy_of_cookie(app, client)
    client.get("/")  # the signed-in page's CSRF token
    assert client.post("/logout").status_code == 302
    # The old "strong" protection compared X-Forwarded-For: sending the victim's address passed it.
    for headers in ({"X-Forwarded-For": "10.0.0.1"}, {"X-Forwarded-For": "10.0.0.1, 203.0.113.9"}, {}):
        assert thief.get("/", headers=headers, environ_base={"REMOTE_ADDR": "198.51.100.4"}).status_code == 302


def test_a_live_session_keeps_the_address_it_was_started_from_whatever_the_header_says(client, people, content):
    person = people.person()
    client.raw.environ_base["REMOTE_ADDR"] = "10.0.0.1"
    client.login(person.email)
    with travel_to(utcnow() + timedelta(minutes=5)):
        assert client.get("/", headers={"X-Forwarded-For": "192.0.2.66"}).status_code == 200
    [row] = rows(person.id)
    assert row.address == "10.0.0.1"


# --- limits, judged from the row --------------------------------------------------------------

def test_a_session_idle_for_more_than_30_minutes_ends(client, people, content):
    person = people.person()
    signed_in_at(client, person)
    with travel_to(START + timedelta(minutes=29)):
        assert client.get("/training/history").status_code == 200  # still signed in: and seen again now
    with travel_to(START + timedelta(minutes=29 + 31)):
        response = client.get("/training/history?page=2")
        assert response.status_code == 302 and response.location == "/login?next=/training/history?page%3D2"
        page = client.get(response.location)
        assert says(page, TIMED_OUT) and TIMED_OUT == "Your session timed out; sign in again."
        assert client.get("/").status_code == 302  # and it stays ended
    [event] = committed_events("session.ended")
    assert (event["subject_id"], event["detail"]) == (person.id, {"how": "timeout", "limit": "idle"})
    assert rows() == []


def test_a_busy_session_still_ends_10_hours_after_signing_in(client, people, content):
    signed_in_at(client, people.person())
    moment = START
    while moment < START + timedelta(hours=9, minutes=50):  # never idle for long
        moment += timedelta(minutes=20)
        with travel_to(moment):
            assert client.get("/").status_code == 200, moment
    with travel_to(START + timedelta(hours=10, minutes=1)):
        response = client.get("/")
        assert response.status_code == 302 and response.location.startswith("/login")
        assert says(client.get(response.location), TIMED_OUT)
    assert committed_events("session.ended")[-1]["detail"] == {"how": "timeout", "limit": "maximum"}


def test_the_limits_are_judged_from_the_row_on_the_server_not_the_cookie(client, people, content):
    person = people.person()
    client.login(person.email)
    assert client.get("/").status_code == 200
    [row] = rows(person.id)
    # The cookie is unchanged and the clock is not moved: only the server's row says it is too old.
    db.session.execute(update(WebSession).where(WebSession.id == row.id)
                       .values(last_seen_at=utcnow() - timedelta(minutes=31)))
    db.session.commit()
    assert client.get("/").status_code == 302
    other = Client(client.raw.application.test_client())
    other.login(person.email)
    [row] = rows(person.id)
    db.session.execute(update(WebSession).where(WebSession.id == row.id)
                       .values(created_at=utcnow() - timedelta(hours=10, minutes=1)))
    db.session.commit()
    assert other.get("/").status_code == 302
    assert [e["detail"]["limit"] for e in committed_events("session.ended")] == ["idle", "maximum"]


def test_the_limits_come_from_the_settings(app, client, people, content):
    app.config.update(SESSION_IDLE_MINUTES=5, SESSION_MAX_HOURS=1)
    signed_in_at(client, people.person())
    with travel_to(START + timedelta(minutes=4)):
        assert client.get("/").status_code == 200
    with travel_to(START + timedelta(minutes=10)):
        assert client.get("/").status_code == 302


def test_the_cookie_names_the_row_and_carries_no_times(client, people, content):
    person = people.person()
    client.login(person.email)
    with client.raw.session_transaction() as session:
        kept = dict(session)
    assert set(kept) <= {"_user_id", "_fresh", "_id", "csrf_token", "session", "_flashes"}, kept
    [row] = rows(person.id)
    number, secret = kept["session"].split(".", 1)
    assert int(number) == row.id and secret not in row.secret_hash and len(secret) >= 43


def test_a_cookie_naming_a_row_with_the_wrong_secret_is_refused(client, people, content):
    person = people.person()
    client.login(person.email)
    with client.raw.session_transaction() as session:
        number = session["session"].split(".", 1)[0]
        session["session"] = f"{number}.not-the-secret"
    assert client.get("/").status_code == 302
    assert len(rows(person.id)) == 1  # someone else's guess does not end the real session


def test_last_seen_is_written_at_most_once_a_minute_in_one_read_per_request(client, people, content):
    person = people.person()
    signed_in_at(client, person)
    with travel_to(START + timedelta(seconds=30)):
        with recorded_statements() as statements:
            assert client.get("/training/history").status_code == 200
    touching = [s for s in statements if "web_sessions" in s]
    assert len(touching) == 1 and touching[0].lstrip().upper().startswith("SELECT") and "JOIN people" in touching[0]
    assert rows(person.id)[0].last_seen_at == START
    with travel_to(START + timedelta(minutes=2)):
        with recorded_statements() as statements:
            assert client.get("/training/history").status_code == 200
    touching = [s.lstrip().split()[0].upper() for s in statements if "web_sessions" in s]
    assert touching == ["SELECT", "UPDATE"]
    assert rows(person.id)[0].last_seen_at == START + timedelta(minutes=2)


def test_a_form_sent_after_the_timeout_is_not_acted_on_or_replayed(client, people, content):
    signed_in_at(client, people.person())
    with travel_to(START + timedelta(hours=1)):
        response = client.post(f"/training/{SLUG}/start", {})
    assert response.status_code == 302 and response.location == "/login"
    assert attempts() == 0


def test_the_api_is_not_touched_by_session_timeouts(client, people, content):
    signed_in_at(client, people.person())
    with travel_to(START + timedelta(hours=2)):
        response = client.get("/api/openapi.json")
        assert response.status_code == 200 and response.mimetype == "application/json"
    with client.raw.session_transaction() as session:
        assert "_user_id" in session  # the API left the (expired) session as it was


def test_signing_in_ends_sessions_past_their_limits_so_the_table_keeps_live_ones(client, make_client, people, content):
    gone, here = people.person(), people.person()
    signed_in_at(make_client(), gone)
    with travel_to(START + timedelta(hours=1)):
        client.login(here.email)
    assert [r.person_id for r in rows()] == [here.id]
    [event] = committed_events("session.ended")
    assert (event["subject_id"], event["actor_id"], event["detail"]) == (gone.id, None, {"how": "timeout"})


# --- ending sessions: leavers, passwords ------------------------------------------------------

def test_a_session_of_someone_deactivated_ends(client, people, content):
    person = people.person()
    signed_in_at(client, person, START)
    person.active = False
    db.session.commit()
    with travel_to(START + timedelta(minutes=1)):
        response = client.get("/")
        assert response.status_code == 302 and says(client.get(response.location), ENDED)
    assert committed_events("session.ended")[-1]["detail"] == {"how": "deactivated"}
    assert rows() == []


def test_a_full_import_that_deactivates_someone_ends_all_their_sessions(app, tmp_path, make_client, people, content):
    from tests.people.test_import import CEO, HEAD, csv_bytes, run_cli

    leaver, stays = people.person(email="leaver@oak.org"), people.person(email="stays@oak.org")
    browsers = [make_client() for _ in range(2)]
    for browser in browsers:
        browser.login(leaver.email)
    kept = make_client()
    kept.login(stays.email)
    result = run_cli(app, tmp_path, csv_bytes(CEO, HEAD, "stays@oak.org,Sam,Stays,employee,Oakfield Primary,,,,"),
                     "--full")
    assert result.exit_code == 0 and "deactivated" in result.output, result.output
    assert rows(leaver.id) == [] and len(rows(stays.id)) == 1  # gone at once, not at their next request
    ended = committed_events("session.ended")
    assert sorted((e["subject_id"], e["detail"]["how"]) for e in ended) == [(leaver.id, "deactivated")] * 2
    assert all(browser.get("/").status_code == 302 for browser in browsers)
    assert kept.get("/").status_code == 200


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(app, client, make_client, people, content):
    person = people.person()
    other = make_client()
    other.login(person.email)
    client.login(person.email)
    thief = copy_of_cookie(app, other)
    new = "a-new-and-long-pass-phrase-77"
    client.get("/account/password")
    response = client.post("/account/password", {"current": PASSWORD, "password": new, "confirm": new})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert client.get("/account/sessions").status_code == 200  # still signed in here
    assert other.get("/").status_code == 302 and thief.get("/").status_code == 302
    assert len(rows(person.id)) == 1
    [event] = committed_events("session.ended")
    assert (event["actor_id"], event["detail"]) == (person.id, {"how": "password"})


def test_a_password_reset_ends_every_session(client, make_client, people, content):
    from lms.auth.tokens import make_reset_token

    person = people.person()
    browsers = [make_client() for _ in range(2)]
    for browser in browsers:
        browser.login(person.email)
    link = f"/password/reset/{make_reset_token(client.raw.application.config['SECRET_KEY'], person)}"
    new = "a-new-and-long-pass-phrase-77"
    client.get(link)
    assert client.post(link, {"password": new, "confirm": new}).status_code == 302
    assert rows(person.id) == [] and all(b.get("/").status_code == 302 for b in browsers)
    assert [e["detail"]["how"] for e in committed_events("session.ended")] == ["password", "password"]


def test_the_sign_in_page_after_a_timeout_says_so_and_signs_in_at_once(client, people, content):
    person = people.person()
    signed_in_at(client, person)
    with travel_to(START + timedelta(hours=1)):
        page = client.get("/login")
        assert page.status_code == 200 and says(page, TIMED_OUT)
        response = client.post("/login?next=/training/history", {"email": person.email, "password": PASSWORD})
        assert response.status_code == 302 and response.location == "/training/history"
        assert client.get("/training/history").status_code == 200


def test_a_person_row_is_read_with_the_session_not_again(client, people, content):
    person = people.person()
    client.login(person.email)
    with recorded_statements() as statements:
        assert client.get("/training/history").status_code == 200
    by_id = [s for s in statements if "FROM people" in s and "WHERE people.id =" in s]
    assert by_id == [], by_id  # Flask-Login's loader found the person the session's read brought
    assert db.session.get(Person, person.id) is not None
