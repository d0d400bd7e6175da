"""Setting a password from an emailed link, and changing it when signed in."""

import re
from datetime import timedelta

from sqlalchemy import select

from lms.auth.password_rules import ADVICE, COMMON, HAS_NAME, PLACE, PUBLISHED, TOO_SHORT, WEAK
from lms.auth.passwords import verify_password
from lms.auth.sessions import CHANGED_ELSEWHERE
from lms.auth.tokens import EXPIRED, INVALID, USED
from lms.auth.views import TOO_MANY_RESETS
from lms.clock import travel_to, utcnow
from lms.demo import DEMO_PASSWORD
from lms.extensions import db
from lms.models import Person
from tests.auth.helpers import committed_events, says, sign_in, text, without_tokens
from tests.conftest import PASSWORD

NEW = "a long walk by the river"
LINK = re.compile(r"http://127\.0\.0\.1:5000(/password/reset/\S+)")


def staff_without_password(people, **kwargs) -> Person:
    person = people.person(**kwargs)
    person.password_hash = None  # as the staff import leaves everyone
    db.session.commit()
    return person


def ask_for_link(client, email: str, address: str = "127.0.0.1"):
    client.get("/password/reset")
    return client.post("/password/reset", {"email": email}, environ_base={"REMOTE_ADDR": address})


def link_in(smtp, email: str) -> str:
    [message] = smtp.to(email)
    body = message.get_body(("plain",)).get_content()
    return LINK.search(body).group(1)


def choose(client, path: str, password: str = NEW, confirm: str | None = None):
    client.get(path)
    return client.post(path, {"password": password, "confirm": password if confirm is None else confirm})


def stored(person: Person) -> Person:
    db.session.expire_all()
    return db.session.get(Person, person.id)


def test_the_sign_in_page_offers_to_set_or_reset_a_password(client):
    page = client.get("/login")
    assert 'href="/password/reset"' in text(page) and "Set or reset your password" in text(page)


def test_someone_imported_without_a_password_sets_one_from_the_emailed_link_and_signs_in(client, people, smtp):
    person = staff_without_password(people, email="jo@example.org")
    response = ask_for_link(client, " JO@example.org ")
    assert response.status_code == 302 and response.location == "/login"
    assert "we have emailed it a link to set a password" in text(client.get("/login"))

    [message] = smtp.to("jo@example.org")
    assert message["Subject"] == "Set your password for social media policy training"
    assert "within 24 hours" in message.get_body(("plain",)).get_content()
    path = link_in(smtp, "jo@example.org")
    form = client.get(path)
    assert form.status_code == 200 and "Choose a password" in text(form)
    assert form.headers["Cache-Control"] == "no-store"

    done = choose(client, path)
    assert done.status_code == 302 and done.location == "/login"
    assert says(client.get("/login"), "Your password is set. Sign in with it now.")
    changed = stored(person)
    assert verify_password(changed.password_hash, NEW) and changed.password_changed_at is not None
    assert sign_in(client, "jo@example.org", NEW).status_code == 302

    [asked] = committed_events("password_reset_requested")
    [set_] = committed_events("password_changed")
    assert asked["subject_id"] == set_["subject_id"] == set_["actor_id"] == person.id
    assert set_["detail"] == {"how": "reset"}


def test_a_link_works_once(make_client, people, smtp):
    person = people.person(email="jo@example.org")
    ask_for_link(make_client(), person.email)
    path = link_in(smtp, person.email)
    assert choose(make_client(), path).status_code == 302
    again = make_client()
    other = "another fine password"
    for response in (again.get(path), again.post(path, {"password": other, "confirm": other})):
        assert response.status_code == 400 and says(response, USED)
    assert verify_password(stored(person).password_hash, NEW)


def test_a_newer_password_ends_every_link_sent_before(make_client, people, smtp):
    person = people.person(email="jo@example.org")
    client = make_client()
    ask_for_link(client, person.email)
    ask_for_link(client, person.email)
    first, second = [LINK.search(m.get_body(("plain",)).get_content()).group(1) for m in smtp.to(person.email)]
    assert choose(make_client(), second).status_code == 302
    assert says(make_client().get(first), USED)


def test_a_link_expires_after_24_hours(make_client, people, smtp):
    person = people.person(email="jo@example.org")
    sent = utcnow()
    with travel_to(sent):
        ask_for_link(make_client(), person.email)
    path = link_in(smtp, person.email)
    with travel_to(sent + timedelta(hours=23, minutes=59)):
        assert make_client().get(path).status_code == 200
    with travel_to(sent + timedelta(hours=24, minutes=1)):
        client = make_client()
        response = client.get(path)
        assert response.status_code == 400 and says(response, EXPIRED.format(hours=24))
        assert client.post(path, {"password": NEW, "confirm": NEW}).status_code == 400
    assert verify_password(stored(person).password_hash, PASSWORD)


def test_a_changed_or_made_up_link_is_refused(client, people, smtp):
    person = people.person(email="jo@example.org")
    ask_for_link(client, person.email)
    path = link_in(smtp, person.email)
    for bad in (path[:-3] + ("abc" if not path.endswith("abc") else "xyz"), "/password/reset/not-a-token"):
        response = client.get(bad)
        assert response.status_code == 400 and says(response, INVALID)
        assert 'href="/password/reset"' in text(response)  # where to ask for a new one


def test_an_unknown_or_inactive_address_gets_the_same_answer_and_no_email(make_client, people, smtp):
    people.person(email="jo@example.org")
    people.person(email="left@example.org", active=False)
    pages = []
    for email in ("jo@example.org", "nobody@example.org", "left@example.org"):
        client = make_client()
        response = ask_for_link(client, email)
        assert response.status_code == 302 and response.location == "/login"
        pages.append(without_tokens(client.get("/login")).replace(email, "EMAIL"))
    assert pages[0] == pages[1] == pages[2]
    assert [m["To"] for m in smtp.messages()] == ["jo@example.org"]
    assert len(committed_events("password_reset_requested")) == 1


def test_the_new_password_must_meet_the_policy_and_be_typed_twice(client, people, smtp):
    person = people.person(email="jo.bloggs@example.org")
    ask_for_link(client, person.email)
    path = link_in(smtp, person.email)
    cases = [
        ("too-short", None, TOO_SHORT),
        ("qwerty123456", None, COMMON),
        (f"{person.last_name}-rides-again", None, HAS_NAME),
        (NEW, NEW + "!", "The two new passwords are different; type the same password in both boxes."),
    ]
    for password, confirm, message in cases:
        response = choose(client, path, password, confirm)
        assert response.status_code == 422 and says(response, message), message
    assert verify_password(stored(person).password_hash, PASSWORD)  # nothing set
    assert choose(client, path).status_code == 302  # and the link still works


def test_setting_a_password_from_a_link_ends_the_persons_other_sessions(make_client, people, smtp, content):
    person = people.person(email="jo@example.org")
    elsewhere = make_client()
    elsewhere.login(person.email)
    assert elsewhere.get("/").status_code == 200
    ask_for_link(make_client(), person.email)
    assert choose(make_client(), link_in(smtp, person.email)).status_code == 302
    response = elsewhere.get("/")
    assert response.status_code == 302 and says(elsewhere.get(response.location), CHANGED_ELSEWHERE)


def test_asking_for_links_is_limited_per_address_typed_and_per_network(make_client, people, smtp):
    person = people.person(email="jo@example.org")
    for n in range(5):
        assert ask_for_link(make_client(), person.email, address=f"192.0.2.{n + 1}").status_code == 302
    refused = ask_for_link(make_client(), person.email, address="192.0.2.99")
    assert refused.status_code == 429 and says(refused, TOO_MANY_RESETS)
    unknown = make_client()
    for n in range(5):
        ask_for_link(unknown, "nobody@example.org", address=f"198.51.100.{n + 1}")
    assert says(ask_for_link(unknown, "nobody@example.org", address="198.51.100.99"), TOO_MANY_RESETS)  # the same
    assert len(smtp.to(person.email)) == 5

    network = make_client()
    for n in range(20):
        assert ask_for_link(network, f"someone{n}@example.org", address="203.0.113.5").status_code == 302
    assert ask_for_link(network, "someone-else@example.org", address="203.0.113.5").status_code == 429


def test_changing_a_password_needs_sign_in(client):
    response = client.get("/account/password")
    assert response.status_code == 302 and response.location.startswith("/login?next=")


def test_change_password_checks_the_current_one_and_the_policy(client, people, content):
    person = people.person()
    client.login(person.email)
    page = client.get("/account/password")
    assert page.status_code == 200 and "Change your password" in text(page)
    wrong = client.post("/account/password", {"current": "not-my-password", "password": NEW, "confirm": NEW})
    assert wrong.status_code == 422 and says(wrong, "That is not your current password.")
    weak = client.post("/account/password", {"current": PASSWORD, "password": "short", "confirm": "short"})
    assert weak.status_code == 422 and says(weak, TOO_SHORT)
    assert verify_password(stored(person).password_hash, PASSWORD)
    assert committed_events("password_changed") == []


def test_changing_a_password_keeps_this_session_and_ends_the_others(client, make_client, people, content):
    person = people.person()
    other = make_client()
    other.login(person.email)
    client.login(person.email)
    client.get("/account/password")
    response = client.post("/account/password", {"current": PASSWORD, "password": NEW, "confirm": NEW})
    assert response.status_code == 302 and response.location == "/"
    assert says(client.get("/"), "Your password has been changed.")
    assert client.get("/account/password").status_code == 200  # still signed in here
    ended = other.get("/")
    assert ended.status_code == 302 and says(other.get(ended.location), CHANGED_ELSEWHERE)
    assert sign_in(make_client(), person.email, PASSWORD).status_code == 200  # the old password is refused
    assert sign_in(make_client(), person.email, NEW).status_code == 302
    [event] = committed_events("password_changed")
    assert (event["actor_id"], event["subject_id"], event["detail"]) == (person.id, person.id, {"how": "changed"})
    assert db.session.scalar(select(Person.password_changed_at).where(Person.id == person.id)) is not None


def test_guessing_the_current_password_from_a_signed_in_session_is_limited(client, people, content):
    person = people.person()
    client.login(person.email)
    client.get("/account/password")
    for n in range(10):
        response = client.post("/account/password", {"current": f"guess-{n}", "password": NEW, "confirm": NEW})
        assert response.status_code == 422
    response = client.post("/account/password", {"current": PASSWORD, "password": NEW, "confirm": NEW})
    assert response.status_code == 429
    assert verify_password(stored(person).password_hash, PASSWORD)


# --- finding 5: weak passwords ------------------------------------------------------------

# The finding's passwords, each with the reason the page must give beside "too easy to guess".
WEAK_ONES = [("aaaaaaaaaaaa", "Repeated characters"), ("123456789012", "a password many people use"),
             ("qwertyuiopas", "a password many people use"), ("Password123!", "a password many people use"),
             ("riverside2026", PLACE), (DEMO_PASSWORD, PUBLISHED)]


def riverside_person(people) -> Person:
    """Someone at the demo trust's Riverside Academy, where "riverside" is a word a guesser would try first."""
    return people.person(unit=people.unit("Riverside Academy"), email="kiran.haddad@riverside.example.org")


def test_the_reset_form_refuses_each_weak_password_saying_why_and_what_would_pass(client, people, smtp):
    person = riverside_person(people)
    ask_for_link(client, person.email)
    path = link_in(smtp, person.email)
    for password, reason in WEAK_ONES:
        response = choose(client, path, password)
        assert response.status_code == 422, password
        assert says(response, WEAK) and says(response, reason) and says(response, ADVICE), password
    assert verify_password(stored(person).password_hash, PASSWORD)  # nothing set
    assert choose(client, path, "kettle orchard lantern violin").status_code == 302  # a strong one is taken


def test_the_change_form_refuses_each_weak_password_saying_why_and_what_would_pass(client, people, content):
    person = riverside_person(people)
    client.login(person.email)
    client.get("/account/password")
    for password, reason in WEAK_ONES:
        response = client.post("/account/password", {"current": PASSWORD, "password": password, "confirm": password})
        assert response.status_code == 422, password
        assert says(response, WEAK) and says(response, reason) and says(response, ADVICE), password
    assert verify_password(stored(person).password_hash, PASSWORD)
    assert committed_events("password_changed") == []
    strong = "kettle orchard lantern violin"
    response = client.post("/account/password", {"current": PASSWORD, "password": strong, "confirm": strong})
    assert response.status_code == 302 and verify_password(stored(person).password_hash, strong)


def test_the_trusts_name_from_the_settings_is_a_word_to_refuse(client, people, content, app, monkeypatch):
    monkeypatch.setitem(app.config, "TRUST_NAME", "Kestrel Vale Learning Trust")
    person = people.person()
    client.login(person.email)
    client.get("/account/password")
    weak = "kestrel-vale-learning"
    response = client.post("/account/password", {"current": PASSWORD, "password": weak, "confirm": weak})
    assert response.status_code == 422 and says(response, PLACE)
    monkeypatch.setitem(app.config, "TRUST_NAME", "The Trust")
    assert client.post("/account/password", {"current": PASSWORD, "password": weak, "confirm": weak}).status_code == 302


def test_the_password_pages_say_what_would_pass_before_anything_is_typed(client, people, content):
    person = people.person()
    client.login(person.email)
    page = text(client.get("/account/password"))
    assert "three or four unrelated words" in page and "your school" in page
