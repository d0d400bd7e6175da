"""Every answer is saved once, when given; closing the browser loses nothing; no skipping."""

import threading

from sqlalchemy import func, select

from lms.extensions import db
from lms.models import Answer, Attempt, AttemptState, ModuleProgress
from tests.training.helpers import answer, drawn, right_answer, scenario_at, start, wrong_answer


def answers() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Answer))


def test_closing_the_browser_resumes_at_the_next_unanswered_scenario(make_client, people, content):
    person = people.person()
    first_visit = make_client()
    first_visit.login(person.email)
    attempt_id = start(first_visit)
    for position in (1, 2, 3):
        answer(first_visit, attempt_id, position, right_answer(scenario_at(attempt_id, position)))

    later = make_client()  # a new browser: no cookies
    later.login(person.email)
    home = later.get("/").get_data(as_text=True)
    assert "In progress" in home and "3 of 12 answered" in home and "Continue" in home
    response = later.post("/training/core-social-media/start")
    assert response.location == f"/attempts/{attempt_id}"
    assert later.get(response.location).location == f"/attempts/{attempt_id}/q/4"


def test_pressing_start_twice_opens_one_attempt(client, people, content):
    client.login(people.person().email)
    assert start(client) == start(client)
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1


def test_reloading_the_feedback_page_records_nothing(client, people, content):
    client.login(people.person().email)
    attempt_id = start(client)
    answer(client, attempt_id, 1, right_answer(scenario_at(attempt_id, 1)))
    for _ in range(3):
        assert client.get(f"/attempts/{attempt_id}/q/1").status_code == 200
    assert answers() == 1


def test_a_resent_form_records_the_answer_once(client, people, content):
    client.login(people.person().email)
    attempt_id = start(client)
    data = right_answer(scenario_at(attempt_id, 1))
    first = client.post(f"/attempts/{attempt_id}/q/1", data)
    second = client.post(f"/attempts/{attempt_id}/q/1", data)
    assert first.status_code == second.status_code == 302
    assert answers() == 1
    page = client.get(f"/attempts/{attempt_id}/q/1").get_data(as_text=True)
    assert "your first answer stands" in page


def test_a_different_answer_from_a_second_tab_does_not_replace_the_first(client, people, content):
    client.login(people.person().email)
    attempt_id = start(client)
    scenario = scenario_at(attempt_id, 1)
    client.get(f"/attempts/{attempt_id}/q/1")
    client.post(f"/attempts/{attempt_id}/q/1", right_answer(scenario))
    client.post(f"/attempts/{attempt_id}/q/1", wrong_answer(scenario))
    stored = db.session.scalar(select(Answer))
    assert stored.verdict == scenario.verdict and answers() == 1


def test_scenarios_cannot_be_skipped(client, people, content):
    client.login(people.person().email)
    attempt_id = start(client)
    response = client.get(f"/attempts/{attempt_id}/q/5")
    assert response.location == f"/attempts/{attempt_id}/q/1"
    client.post(f"/attempts/{attempt_id}/q/5", {"verdict": "compliant"})
    assert answers() == 0
    assert client.get(f"/attempts/{attempt_id}/q/99").status_code == 404


def test_finishing_early_is_refused(client, people, content):
    client.login(people.person().email)
    attempt_id = start(client)
    answer(client, attempt_id, 1, right_answer(scenario_at(attempt_id, 1)))
    response = client.post(f"/attempts/{attempt_id}/finish")
    assert response.location == f"/attempts/{attempt_id}"
    assert db.session.get(Attempt, attempt_id).state is AttemptState.in_progress
    assert "Answer every scenario before finishing." in client.get(f"/attempts/{attempt_id}/q/2").get_data(as_text=True)


def test_finishing_twice_scores_once(client, people, content):
    client.login(people.person().email)
    attempt_id = start(client)
    for position in range(1, drawn(attempt_id) + 1):
        answer(client, attempt_id, position, right_answer(scenario_at(attempt_id, position)))
    client.post(f"/attempts/{attempt_id}/finish")
    db.session.expire_all()
    finished_at = db.session.get(Attempt, attempt_id).submitted_at
    client.post(f"/attempts/{attempt_id}/finish")
    db.session.expire_all()
    assert db.session.get(Attempt, attempt_id).submitted_at == finished_at
    progress = db.session.scalar(select(ModuleProgress))
    assert progress.attempts_count == 1 and progress.open_attempt_id is None


def test_answers_to_a_finished_attempt_are_not_recorded(client, people, content):
    client.login(people.person().email)
    attempt_id = start(client)
    total = drawn(attempt_id)
    for position in range(1, total + 1):
        answer(client, attempt_id, position, right_answer(scenario_at(attempt_id, position)))
    client.post(f"/attempts/{attempt_id}/finish")
    client.post(f"/attempts/{attempt_id}/q/1", wrong_answer(scenario_at(attempt_id, 1)))
    assert answers() == total
    assert client.get(f"/attempts/{attempt_id}").location == f"/attempts/{attempt_id}/results"


def test_simultaneous_submissions_of_one_answer_store_exactly_one(make_client, people, content):
    person = people.person()
    clients = [make_client() for _ in range(6)]
    for c in clients:
        c.login(person.email)
    attempt_id = start(clients[0])
    data = right_answer(scenario_at(attempt_id, 1))
    for c in clients:
        c.get(f"/attempts/{attempt_id}/q/1")
    barrier = threading.Barrier(len(clients))
    statuses = []

    def submit(c):
        barrier.wait()
        statuses.append(c.post(f"/attempts/{attempt_id}/q/1", data).status_code)

    threads = [threading.Thread(target=submit, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [302] * len(clients)
    assert answers() == 1


def test_simultaneous_starts_open_exactly_one_attempt(make_client, people, content):
    person = people.person()
    clients = [make_client() for _ in range(6)]
    for c in clients:
        c.login(person.email)
        c.get("/training/core-social-media")
    barrier = threading.Barrier(len(clients))
    locations = []

    def press_start(c):
        barrier.wait()
        locations.append(c.post("/training/core-social-media/start").location)

    threads = [threading.Thread(target=press_start, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(locations)) == 1 and locations[0].startswith("/attempts/")
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1
