"""/account/sessions: a person sees where they are signed in, and ends any of those sessions."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lms.auth.user_agents import describe
from lms.clock import travel_to
from lms.extensions import db
from lms.models import WebSession
from tests.auth.helpers import committed_events, says, text

SUMMER = datetime(2026, 7, 6, 8, 30, tzinfo=UTC)  # 09:30 in London (BST)
CHROME_WINDOWS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/131.0.0.0 Safari/537.36")
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                 "Version/18.1 Mobile/15E148 Safari/604.1")


def browser(make_client, user_agent: str, address: str):
    made = make_client()
    made.raw.environ_base.update({"HTTP_USER_AGENT": user_agent, "REMOTE_ADDR": address})
    return made


def row_ids(person_id: int) -> list[int]:
    db.session.rollback()
    return list(db.session.scalars(select(WebSession.id).where(WebSession.person_id == person_id).order_by(WebSession.id)))


@pytest.mark.parametrize("agent, words", [
    (CHROME_WINDOWS, "Chrome on Windows"),
    (FIREFOX_LINUX, "Firefox on Linux"),
    (SAFARI_IPHONE, "Safari on iPhone"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
     "Safari/537.36 Edg/131.0.0.0", "Edge on macOS"),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile "
     "Safari/537.36", "Chrome on Android"),
    ("curl/8.5.0", "Unknown browser"),
    ("", "Unknown browser"),
])
def test_a_browser_is_described_in_a_few_words(agent, words):
    assert describe(agent) == words


def test_the_page_lists_each_session_with_times_in_london_and_marks_this_browser(make_client, people, content):
    person = people.person()
    here = browser(make_client, CHROME_WINDOWS, "192.0.2.10")
    there = browser(make_client, FIREFOX_LINUX, "198.51.100.20")
    with travel_to(SUMMER):
        there.login(person.email)
    with travel_to(SUMMER + timedelta(minutes=5)):
        here.login(person.email)
        page = here.get("/account/sessions")
        home = here.get("/")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    body = text(page)
    assert "Chrome on Windows <strong>(this browser)</strong>" in body and "Firefox on Linux" in body
    assert "192.0.2.10" in body and "198.51.100.20" in body
    assert "6 Jul 2026, 09:30" in body and "6 Jul 2026, 09:35" in body  # UTC 08:30 shown as BST
    assert body.index("Chrome on Windows") < body.index("Firefox on Linux")  # this browser first
    assert 'href="/account/sessions"' in text(home)  # linked from the account menu


def test_ending_a_session_from_the_list_signs_that_browser_out(make_client, people, content):
    person = people.person()
    here, there = browser(make_client, CHROME_WINDOWS, "192.0.2.10"), browser(make_client, FIREFOX_LINUX, "192.0.2.11")
    there.login(person.email)
    here.login(person.email)
    first, _ = row_ids(person.id)
    page = here.get("/account/sessions")
    assert f'action="/account/sessions/{first}/end"' in text(page)
    response = here.post(f"/account/sessions/{first}/end")
    assert response.status_code == 302 and response.location == "/account/sessions"
    assert says(here.get("/account/sessions"), "That session has ended")
    assert row_ids(person.id) != [] and first not in row_ids(person.id)
    ended = there.get("/")
    assert ended.status_code == 302 and ended.location.startswith("/login")
    [event] = committed_events("session.ended")
    assert (event["actor_id"], event["subject_id"], event["object_id"], event["detail"]) == (
        person.id, person.id, first, {"how": "ended_from_list"})


def test_sign_out_everywhere_else_keeps_only_this_browser(make_client, people, content):
    person = people.person()
    others = [browser(make_client, FIREFOX_LINUX, f"192.0.2.{n}") for n in (1, 2)]
    for other in others:
        other.login(person.email)
    here = browser(make_client, CHROME_WINDOWS, "192.0.2.3")
    here.login(person.email)
    here.get("/account/sessions")
    response = here.post("/account/sessions/end-others")
    assert response.status_code == 302
    page = here.get("/account/sessions")
    assert says(page, "Signed out everywhere else (2 sessions ended).") and "not signed in anywhere else" in text(page)
    assert all(other.get("/").status_code == 302 for other in others)
    assert len(row_ids(person.id)) == 1
    assert [e["detail"] for e in committed_events("session.ended")] == [{"how": "everywhere"}] * 2


def test_ending_this_browsers_own_session_from_the_list_signs_it_out(client, people, content):
    person = people.person()
    client.login(person.email)
    [mine] = row_ids(person.id)
    assert "Sign out here" in text(client.get("/account/sessions"))
    response = client.post(f"/account/sessions/{mine}/end")
    assert response.status_code == 302 and response.location == "/login"
    assert client.get("/").status_code == 302 and row_ids(person.id) == []


def test_someone_elses_session_is_not_found_and_stays(make_client, people, content):
    mine, theirs = people.person(), people.person()
    me, them = make_client(), make_client()
    them.login(theirs.email)
    me.login(mine.email)
    [their_row] = row_ids(theirs.id)
    me.get("/account/sessions")
    assert me.post(f"/account/sessions/{their_row}/end").status_code == 404
    assert me.post("/account/sessions/99999999/end").status_code == 404
    assert row_ids(theirs.id) == [their_row] and them.get("/").status_code == 200
    assert not re.search(rf"/account/sessions/{their_row}/end", text(me.get("/account/sessions")))


def test_the_page_needs_sign_in_and_its_buttons_a_csrf_token(client, people, content):
    response = client.get("/account/sessions")
    assert response.status_code == 302 and response.location.startswith("/login?next=")
    person = people.person()
    client.login(person.email)
    [mine] = row_ids(person.id)
    forged = client.raw.post(f"/account/sessions/{mine}/end", data={})  # no CSRF token
    assert forged.status_code == 400 and row_ids(person.id) == [mine]
