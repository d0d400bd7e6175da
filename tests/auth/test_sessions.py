"""Sessions end when idle, at their maximum age, and when the password changes; the API is left alone."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from lms.auth.sessions import CHANGED_ELSEWHERE, ENDED, TIMED_OUT
from lms.clock import travel_to
from lms.extensions import db
from lms.models import Attempt
from tests.auth.helpers import committed_events, says
from tests.conftest import PASSWORD

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday morning


def signed_in_at(client, person, moment=START):
    with travel_to(moment):
        client.login(person.email)


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
    [event] = committed_events("sign_out")
    assert (event["subject_id"], event["detail"]) == (person.id, {"reason": "idle"})


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
    assert committed_events("sign_out")[-1]["detail"] == {"reason": "maximum"}


def test_the_limits_come_from_the_settings(app, client, people, content):
    app.config.update(SESSION_IDLE_MINUTES=5, SESSION_MAX_HOURS=1)
    signed_in_at(client, people.person())
    with travel_to(START + timedelta(minutes=4)):
        assert client.get("/").status_code == 200
    with travel_to(START + timedelta(minutes=10)):
        assert client.get("/").status_code == 302


def test_a_form_sent_after_the_timeout_is_not_acted_on_or_replayed(client, people, content):
    signed_in_at(client, people.person())
    with travel_to(START + timedelta(hours=1)):
        response = client.post("/training/core-social-media/start", {})
    assert response.status_code == 302 and response.location == "/login"
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0


def test_the_api_is_not_touched_by_session_timeouts(client, people, content):
    signed_in_at(client, people.person())
    with travel_to(START + timedelta(hours=2)):
        response = client.get("/api/openapi.json")
        assert response.status_code == 200 and response.mimetype == "application/json"
    with client.raw.session_transaction() as session:
        assert "_user_id" in session  # the API left the (expired) session as it was


def test_a_session_of_someone_deactivated_ends(client, people, content):
    person = people.person()
    signed_in_at(client, person, START)
    person.active = False
    db.session.commit()
    with travel_to(START + timedelta(minutes=1)):
        response = client.get("/")
        assert response.status_code == 302 and says(client.get(response.location), ENDED)


def test_a_session_not_started_by_signing_in_is_not_trusted(client, people, content):
    person = people.person()
    signed_in_at(client, person)
    with client.raw.session_transaction() as session:
        del session["signed_in_at"]  # e.g. a cookie from before these limits existed
    with travel_to(START + timedelta(minutes=1)):
        assert client.get("/").status_code == 302


def test_a_session_begun_before_the_password_changed_ends(client, make_client, people, content):
    person = people.person()
    signed_in_at(client, person)
    person.password_changed_at = START + timedelta(minutes=5)  # set elsewhere (see test_passwords for the pages)
    db.session.commit()
    with travel_to(START + timedelta(minutes=6)):
        response = client.get("/")
        assert response.status_code == 302 and says(client.get(response.location), CHANGED_ELSEWHERE)
        later = make_client()
        later.login(person.email)  # a session begun after the change goes on
        assert later.get("/").status_code == 200


def test_the_sign_in_page_after_a_timeout_says_so_and_signs_in_at_once(client, people, content):
    person = people.person()
    signed_in_at(client, person)
    with travel_to(START + timedelta(hours=1)):
        page = client.get("/login")
        assert page.status_code == 200 and says(page, TIMED_OUT)
        response = client.post("/login?next=/training/history", {"email": person.email, "password": PASSWORD})
        assert response.status_code == 302 and response.location == "/training/history"
        assert client.get("/training/history").status_code == 200
