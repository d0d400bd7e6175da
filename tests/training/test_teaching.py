"""Attempts that teach: retakes lead with what was wrong, sureness, contests, the library pages."""

from markupsafe import escape
from sqlalchemy import func, select

from lms.extensions import db
from lms.models import Answer, Attempt, Contest, Role
from lms.training.draw import group_of
from tests.training.helpers import answer, drawn, right_answer, scenario_at, start, wrong_answer


def text(response) -> str:
    return response.get_data(as_text=True)


def finish_with(client, attempt_id: int, wrong_positions: set[int], sure: str = "sure") -> None:
    for position in range(1, drawn(attempt_id) + 1):
        scenario = scenario_at(attempt_id, position)
        data = wrong_answer(scenario, sure) if position in wrong_positions else right_answer(scenario, sure)
        answer(client, attempt_id, position, data)
    client.post(f"/attempts/{attempt_id}/finish")


def test_a_retake_after_a_failure_leads_with_the_clauses_got_wrong(client, people, content):
    client.login(people.person().email)
    first = start(client)
    finish_with(client, first, wrong_positions={1, 2, 3, 4})
    assert db.session.get(Attempt, first).passed is False
    wrong_groups = {group_of(scenario_at(first, p)) for p in (1, 2, 3, 4)}

    second = start(client)
    leading = {group_of(scenario_at(second, p)) for p in range(1, len(wrong_groups) + 1)}
    assert leading == wrong_groups


def test_a_retake_after_a_pass_is_drawn_afresh(client, people, content):
    client.login(people.person().email)
    first = start(client)
    finish_with(client, first, wrong_positions=set())
    second = start(client)
    assert second != first and drawn(second) == drawn(first)


def test_how_sure_is_recorded_and_required(client, people, content):
    client.login(people.person().email)
    attempt_id = start(client)
    scenario = scenario_at(attempt_id, 1)
    response = client.post(f"/attempts/{attempt_id}/q/1", {"verdict": "compliant"})
    assert response.status_code == 422 and "Say how sure you are" in text(response)
    answer(client, attempt_id, 1, right_answer(scenario, sure="unsure"))
    assert db.session.scalar(select(Answer)).sure is False
    assert "You were not sure of this answer." in text(client.get(f"/attempts/{attempt_id}/q/1"))


def test_results_show_where_the_person_was_sure_and_wrong(client, people, content):
    client.login(people.person().email)
    attempt_id = start(client)
    finish_with(client, attempt_id, wrong_positions={2, 5})
    page = text(client.get(f"/attempts/{attempt_id}/results"))
    assert "Sure, but not right" in page
    assert 'href="#scenario-2"' in page and 'href="#scenario-5"' in page
    assert 'href="#scenario-3"' not in page


def test_contesting_a_marking_reaches_the_trust_lead_with_the_scenario(make_client, people, content):
    staff, lead = people.person(), people.person(roles=(Role.trust_lead,))
    client = make_client()
    client.login(staff.email)
    attempt_id = start(client)
    scenario = scenario_at(attempt_id, 1)
    answer(client, attempt_id, 1, right_answer(scenario))
    reason = "The post never names the school, so 4.4 cannot apply <b>here</b>."
    response = client.post(f"/attempts/{attempt_id}/q/1/contest", {"reason": reason})
    assert response.status_code == 302
    assert "A trust lead will review it." in text(client.get(f"/attempts/{attempt_id}/q/1"))

    reviewer = make_client()
    reviewer.login(lead.email)
    page = text(reviewer.get("/library/contests"))
    assert "&lt;b&gt;here&lt;/b&gt;" in page and "<b>here</b>" not in page  # shown escaped
    assert scenario.key in page and staff.full_name in page
    assert escape(scenario.explanation[:40]) in page
    module_page = text(reviewer.get("/library/modules/core-social-media"))
    assert "contested 1 time" in module_page


def test_a_contest_needs_a_reason_an_answer_and_is_taken_once(client, people, content):
    client.login(people.person().email)
    attempt_id = start(client)
    response = client.post(f"/attempts/{attempt_id}/q/1/contest", {"reason": "This is plainly wrong."})
    assert "Answer the scenario before contesting its marking." in text(client.get(response.location))
    answer(client, attempt_id, 1, right_answer(scenario_at(attempt_id, 1)))
    short = client.post(f"/attempts/{attempt_id}/q/1/contest", {"reason": "no"})
    assert short.status_code == 422 and "Say why in 10 to 2000 characters." in text(short)
    long = client.post(f"/attempts/{attempt_id}/q/1/contest", {"reason": "x" * 2001})
    assert long.status_code == 422
    client.post(f"/attempts/{attempt_id}/q/1/contest", {"reason": "This is plainly wrong."})
    again = client.post(f"/attempts/{attempt_id}/q/1/contest", {"reason": "Still plainly wrong."})
    assert "already contested" in text(client.get(again.location))
    assert db.session.scalar(select(func.count()).select_from(Contest)) == 1


def test_nobody_contests_through_someone_elses_attempt(make_client, people, content):
    owner, other = people.person(), people.person()
    client = make_client()
    client.login(owner.email)
    attempt_id = start(client)
    answer(client, attempt_id, 1, right_answer(scenario_at(attempt_id, 1)))
    intruder = make_client()
    intruder.login(other.email)
    response = intruder.post(f"/attempts/{attempt_id}/q/1/contest", {"reason": "Not mine but still wrong."})
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Contest)) == 0


def test_the_library_is_for_trust_leads_and_the_ceo(make_client, people, content):
    urls = ["/library/", "/library/contests", "/library/modules/core-social-media"]
    for roles, expected in [((Role.trust_lead,), 200), ((Role.ceo,), 200), ((), 403), ((Role.headteacher,), 403)]:
        client = make_client()
        client.login(people.person(roles=roles).email)
        assert [client.get(u).status_code for u in urls] == [expected] * 3, roles
    assert make_client().get("/library/").status_code == 302


def test_the_library_shows_the_coverage_matrix_and_every_scenario(client, people, content, library):
    client.login(people.person(roles=(Role.trust_lead,)).email)
    page = text(client.get("/library/"))
    assert "Clause coverage" in page and "2.1(c) Confidentiality" in page
    module_page = text(client.get("/library/modules/core-social-media"))
    core = next(m for m in library.modules if m.slug == "core-social-media")
    for scenario in core.scenarios:
        assert f'id="{scenario.key}"' in module_page
    assert client.get("/library/modules/nope").status_code == 404
