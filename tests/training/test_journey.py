"""A member of staff signs in, takes a module, gets feedback and a result (issue 2's journey)."""

from markupsafe import escape
from sqlalchemy import func, select

from lms.extensions import db
from lms.models import Answer, Attempt, ModuleProgress, Outcome
from tests.training.helpers import (
    answer,
    drawn,
    right_answer,
    scenario_at,
    start,
    wrong_answer,
    wrong_clause_answer,
)


def text(response) -> str:
    return response.get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_sign_in(client, content):
    response = client.get("/")
    assert response.status_code == 302 and response.location.startswith("/login?next=")


def test_sign_in_with_a_wrong_password_or_unknown_email_gives_the_same_message(client, people):
    person = people.person(email="jo@example.org")
    wrong = client.login(person.email, "not-the-password-at-all")
    unknown = client.login("nobody@example.org")
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert "That email address and password do not match an account." in text(response)


def test_sign_in_is_case_insensitive_and_follows_a_safe_next(client, people, content):
    people.person(email="jo@example.org")
    client.get("/login")
    response = client.post("/login?next=/training/history", {"email": "JO@example.org", "password": "correct-horse-battery"})
    assert response.location == "/training/history"


def test_next_pointing_off_site_is_ignored(make_client, people, content):
    people.person(email="jo@example.org")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        client = make_client()
        client.get("/login")
        response = client.post(f"/login?next={target}", {"email": "jo@example.org", "password": "correct-horse-battery"})
        assert response.location == "/", target


def test_inactive_people_cannot_sign_in(client, people):
    person = people.person(active=False)
    assert "do not match an account" in text(client.login(person.email))


def test_my_training_lists_modules_with_status_minutes_and_policy_version(client, people, content):
    client.login(people.person().email)
    page = text(client.get("/"))
    assert "My training" in page
    assert "Social media: what you must never post" in page
    assert "Not started" in page and "about 15 minutes" in page and "version 2018-09" in page


def test_the_whole_journey_to_a_pass(client, people, content):
    person = people.person()
    client.login(person.email)
    attempt_id = start(client)
    total = drawn(attempt_id)
    assert total == 12  # the module's draw

    first = scenario_at(attempt_id, 1)
    page = text(client.get(f"/attempts/{attempt_id}/q/1"))
    assert f"Scenario 1 of {total}" in page
    assert "post-card platform-" + first.platform in page
    assert escape(first.author_role[:1].upper() + first.author_role[1:]) in page and escape(first.posted_at) in page
    assert 'name="verdict"' in page and 'name="clause"' in page
    assert "4.4 " in page and "Read clause 4.4" in page  # number + title, full text on demand

    response = answer(client, attempt_id, 1, right_answer(first))
    assert response.status_code == 302 and response.location.endswith(f"/attempts/{attempt_id}/q/1")
    feedback = text(client.get(f"/attempts/{attempt_id}/q/1"))
    assert "Right" in feedback and escape(first.explanation[:60]) in feedback
    assert "The policy says" in feedback or first.verdict == "compliant"
    assert "Next scenario" in feedback

    for position in range(2, total + 1):
        answer(client, attempt_id, position, right_answer(scenario_at(attempt_id, position)))
    last = text(client.get(f"/attempts/{attempt_id}/q/{total}"))
    assert "See my results" in last
    response = client.post(f"/attempts/{attempt_id}/finish")
    assert response.location.endswith(f"/attempts/{attempt_id}/results")
    results = text(client.get(f"/attempts/{attempt_id}/results"))
    assert "100.0%" in results and "Passed" in results and "the pass mark is 80%" in results
    assert results.count("feedback outcome-box-") == total

    home = text(client.get("/"))
    assert "badge-passed" in home and "100% on" in home
    progress = db.session.scalar(select(ModuleProgress))
    assert progress.passed_at is not None and progress.pass_attempt_id == attempt_id


def test_feedback_names_a_wrong_clause_and_quotes_the_right_one(client, people, content):
    client.login(people.person().email)
    attempt_id = start(client)
    position = next(p for p in range(1, 13) if scenario_at(attempt_id, p).verdict == "breach")
    for earlier in range(1, position):
        answer(client, attempt_id, earlier, right_answer(scenario_at(attempt_id, earlier)))
    scenario = scenario_at(attempt_id, position)
    choice = wrong_clause_answer(scenario)
    answer(client, attempt_id, position, choice)
    page = text(client.get(f"/attempts/{attempt_id}/q/{position}"))
    assert "Right verdict, wrong clause" in page
    assert f"clause <strong>{choice['clause']}</strong>" in page and "(your choice)" in page
    stored = db.session.scalar(select(Answer).where(Answer.scenario_id == scenario.id))
    assert stored.outcome is Outcome.wrong_clause and stored.points == 0.5


def test_a_failed_attempt_then_a_retake_keeps_both_in_history(client, people, content):
    client.login(people.person().email)
    first = start(client)
    for position in range(1, 13):
        answer(client, first, position, wrong_answer(scenario_at(first, position)))
    client.post(f"/attempts/{first}/finish")
    results = text(client.get(f"/attempts/{first}/results"))
    assert "0.0%" in results and "Not passed" in results and "Take the module again" in results
    assert "Last attempt: 0% on" in text(client.get("/")) and "not passed (pass mark 80%)" in text(client.get("/"))

    second = start(client)
    assert second != first
    history = text(client.get("/training/history"))
    assert history.count("<tr>") == 3  # header + two attempts
    assert "Continue" in history and "Results" in history


def test_breach_without_a_clause_is_refused_and_nothing_is_saved(client, people, content):
    client.login(people.person().email)
    attempt_id = start(client)
    client.get(f"/attempts/{attempt_id}/q/1")
    response = client.post(f"/attempts/{attempt_id}/q/1", {"verdict": "breach"})
    assert response.status_code == 422
    assert "choose the clause that is most clearly breached" in text(response)
    response = client.post(f"/attempts/{attempt_id}/q/1", {})
    assert "Choose Compliant or Breach." in text(response)
    response = client.post(f"/attempts/{attempt_id}/q/1", {"verdict": "breach", "clause": "7.1"})
    assert response.status_code == 422  # 7.1 is not a clause staff can choose
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 0


def test_someone_elses_attempt_is_forbidden(client, make_client, people, content):
    owner, other = people.person(), people.person()
    client.login(owner.email)
    attempt_id = start(client)
    intruder = make_client()
    intruder.login(other.email)
    for url in (f"/attempts/{attempt_id}", f"/attempts/{attempt_id}/q/1", f"/attempts/{attempt_id}/results"):
        assert intruder.get(url).status_code == 403
    assert intruder.post(f"/attempts/{attempt_id}/q/1", {"verdict": "compliant"}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 0
    assert intruder.get("/attempts/999999").status_code == 404


def test_an_unknown_module_is_not_found(client, people, content):
    client.login(people.person().email)
    assert client.get("/training/no-such-module").status_code == 404


def test_sign_out_ends_the_session(client, people, content):
    client.login(people.person().email)
    client.post("/logout")
    assert client.get("/").status_code == 302


def test_forms_without_a_csrf_token_are_refused(client, app, people, content):
    person = people.person()
    raw = app.test_client()
    response = raw.post("/login", data={"email": person.email, "password": "correct-horse-battery"})
    assert response.status_code == 400 and "Form expired" in response.get_data(as_text=True)
    assert raw.get("/").status_code == 302  # still signed out

    client.login(person.email)
    response = client.raw.post("/training/core-social-media/start", data={})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0
