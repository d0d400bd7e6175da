"""Every answer is saved once, when given; closing the browser loses nothing; no skipping."""

import threading

from sqlalchemy import func, select

from lms.extensions import db
from lms.models import Answer, Attempt, AttemptState, ModuleProgress
from tests.conftest import Client
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


def test_a_double_click_on_submit_records_the_answer_once(client, people, content):
    # Two identical POSTs in quick succession, the second sent before the first's redirect is followed.
    client.login(people.person().email)
    attempt_id = start(client)
    data = right_answer(scenario_at(attempt_id, 1))
    first = client.post(f"/attempts/{attempt_id}/q/1", data)
    second = client.post(f"/attempts/{attempt_id}/q/1", data)
    assert first.status_code == second.status_code == 302
    assert answers() == 1
    page = client.get(f"/attempts/{attempt_id}/q/1").get_data(as_text=True)
    assert "your first answer stands" in page


def test_a_form_resent_after_the_feedback_page_records_nothing_new(client, people, content):
    # The browser's "resend" after the redirect was followed and the feedback shown.
    client.login(people.person().email)
    attempt_id = start(client)
    data = right_answer(scenario_at(attempt_id, 1))
    assert client.post(f"/attempts/{attempt_id}/q/1", data).location == f"/attempts/{attempt_id}/q/1"
    assert "feedback-heading" in client.get(f"/attempts/{attempt_id}/q/1").get_data(as_text=True)
    first = db.session.scalar(select(Answer))
    recorded = (first.id, first.answered_at)

    resent = client.post(f"/attempts/{attempt_id}/q/1", data)
    assert resent.location == f"/attempts/{attempt_id}/q/1"
    assert "your first answer stands" in client.get(resent.location).get_data(as_text=True)
    db.session.expire_all()
    again = db.session.scalar(select(Answer))
    assert answers() == 1 and (again.id, again.answered_at) == recorded


def test_two_tabs_answering_differently_keep_the_first_and_tell_the_second(client, people, content):
    client.login(people.person().email)
    attempt_id = start(client)
    scenario = scenario_at(attempt_id, 1)
    # Two tabs of one browser: the same cookies, each with its own page (and form) loaded.
    tab_a, tab_b = client, Client(client.raw)
    tab_a.get(f"/attempts/{attempt_id}/q/1")
    tab_b.get(f"/attempts/{attempt_id}/q/1")

    tab_a.post(f"/attempts/{attempt_id}/q/1", right_answer(scenario))
    assert "your first answer stands" not in tab_a.get(f"/attempts/{attempt_id}/q/1").get_data(as_text=True)
    second = tab_b.post(f"/attempts/{attempt_id}/q/1", wrong_answer(scenario))
    assert second.location == f"/attempts/{attempt_id}/q/1"
    page = tab_b.get(second.location).get_data(as_text=True)
    assert "your first answer stands" in page
    assert f"You answered <strong>{scenario.verdict.capitalize()}</strong>" in page  # the feedback is for the first
    stored = db.session.scalar(select(Answer))
    assert stored.verdict == scenario.verdict and answers() == 1


def test_a_back_button_resubmit_of_an_earlier_scenario_changes_nothing(client, people, content):
    client.login(people.person().email)
    attempt_id = start(client)
    first, second = scenario_at(attempt_id, 1), scenario_at(attempt_id, 2)
    back_page = Client(client.raw)  # the page for scenario 1 as the browser kept it in its history
    back_page.get(f"/attempts/{attempt_id}/q/1")
    answer(client, attempt_id, 1, right_answer(first))
    answer(client, attempt_id, 2, right_answer(second))

    resubmit = back_page.post(f"/attempts/{attempt_id}/q/1", wrong_answer(first))
    assert resubmit.location == f"/attempts/{attempt_id}/q/1"
    assert "your first answer stands" in client.get(resubmit.location).get_data(as_text=True)
    db.session.expire_all()
    stored = {a.scenario_id: a.verdict for a in db.session.scalars(select(Answer))}
    assert stored == {first.id: first.verdict, second.id: second.verdict}
    assert client.get(f"/attempts/{attempt_id}").location == f"/attempts/{attempt_id}/q/3"


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


def test_finishing_twice_in_a_row_scores_once(client, people, content):
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


def at_once(calls: list) -> list:
    """Run the calls in threads released together; their results in order (a failure is raised here)."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    failures: list[BaseException] = []

    def run(index, call):
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread below
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    if failures:
        raise failures[0]
    return results


def answer_all(client, attempt_id: int) -> int:
    total = drawn(attempt_id)
    for position in range(1, total + 1):
        answer(client, attempt_id, position, right_answer(scenario_at(attempt_id, position)))
    return total


def test_finishing_from_several_tabs_at_once_scores_once(make_client, people, content):
    person = people.person()
    tabs = [make_client() for _ in range(5)]
    for tab in tabs:
        tab.login(person.email)
    attempt_id = start(tabs[0])
    answer_all(tabs[0], attempt_id)
    for tab in tabs:
        assert tab.get(f"/attempts/{attempt_id}/finish").status_code == 200

    responses = at_once([lambda tab=tab: tab.post(f"/attempts/{attempt_id}/finish") for tab in tabs])
    assert [r.location for r in responses] == [f"/attempts/{attempt_id}/results"] * len(tabs)
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    progress = db.session.scalar(select(ModuleProgress))
    assert attempt.state is AttemptState.submitted and attempt.score == 100
    assert (progress.last_attempt_id, progress.pass_attempt_id, progress.open_attempt_id) == (attempt_id, attempt_id, None)
    assert progress.attempts_count == 1 and progress.valid_until == attempt.valid_until
    # Every tab shows the one certificate the single scoring issued.
    assert all(attempt.certificate_code in tab.get(f"/attempts/{attempt_id}/results").get_data(as_text=True) for tab in tabs)


def test_finishing_at_once_in_separate_database_sessions_has_exactly_one_winner(client, people, content):
    from sqlalchemy.orm import Session

    from lms.records.settings import RecordSettings
    from lms.training.service import finish_attempt

    client.login(people.person().email)
    attempt_id = start(client)
    answer_all(client, attempt_id)

    engine = db.engine  # the threads have no app context of their own

    def finish_in_own_session():
        with Session(engine) as session:
            won = finish_attempt(session, session.get(Attempt, attempt_id), RecordSettings())
            session.commit()
            return won

    assert sorted(at_once([finish_in_own_session] * 6)) == [False] * 5 + [True]
    db.session.expire_all()
    assert db.session.get(Attempt, attempt_id).state is AttemptState.submitted


def test_devices_racing_through_one_attempt_store_one_answer_per_scenario_and_one_score(make_client, people, content):
    """Four devices of one person answer every scenario of the same attempt at the same moment,
    differently, then all finish at once: per scenario the one answer acknowledged without a
    "first answer stands" is the one stored, and the attempt is scored once from those answers."""
    person = people.person()
    devices = [make_client() for _ in range(4)]
    for device in devices:
        device.login(person.email)
    attempt_id = start(devices[0])
    total = drawn(attempt_id)

    def submit(device, position, data):
        response = device.post(f"/attempts/{attempt_id}/q/{position}", data)
        assert response.location == f"/attempts/{attempt_id}/q/{position}", response.status_code
        told_first_stands = "your first answer stands" in device.get(response.location).get_data(as_text=True)
        return data, told_first_stands

    for position in range(1, total + 1):
        scenario = scenario_at(attempt_id, position)
        for device in devices:
            device.get(f"/attempts/{attempt_id}/q/{position}")
        choices = [right_answer(scenario) if i % 2 == 0 else wrong_answer(scenario) for i in range(len(devices))]
        results = at_once([lambda d=d, c=c, p=position: submit(d, p, c) for d, c in zip(devices, choices, strict=True)])
        recorded = [data for data, told in results if not told]
        assert len(recorded) == 1, f"scenario {position}: {len(recorded)} devices were told their answer was recorded"
        db.session.expire_all()
        stored = db.session.scalars(select(Answer).where(Answer.attempt_id == attempt_id,
                                                         Answer.scenario_id == scenario.id)).all()
        assert [(a.verdict, a.clause) for a in stored] == [(recorded[0]["verdict"], recorded[0].get("clause"))]

    for device in devices:
        device.get(f"/attempts/{attempt_id}/finish")
    at_once([lambda d=d: d.post(f"/attempts/{attempt_id}/finish") for d in devices])
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    rows = db.session.execute(select(Answer.scenario_id, Answer.points).where(Answer.attempt_id == attempt_id)).all()
    assert len(rows) == len({r.scenario_id for r in rows}) == total
    assert attempt.state is AttemptState.submitted and attempt.points == sum(r.points for r in rows)
    progress = db.session.scalar(select(ModuleProgress))
    assert (progress.attempts_count, progress.last_attempt_id, progress.last_score) == (1, attempt_id, attempt.score)
