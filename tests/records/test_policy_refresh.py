"""A new policy version: passes relying on changed clauses need a refresh; others stay valid."""

import shutil
from datetime import date, timedelta

from sqlalchemy import select

from lms.clock import travel_to
from lms.extensions import db
from lms.models import Attempt, Module, ModuleProgress, PolicyVersion, Scenario
from lms.records.settings import RecordSettings
from lms.records.status import State, standing
from lms.training.service import relied_on_any
from tests.conftest import SCENARIOS
from tests.training.helpers import answer, drawn, right_answer, scenario_at, start

OLD_23 = "Central team employees should never provide professional references on"  # as folded in policy.yaml
NEW_23 = "Central team employees must never provide professional references on"


def library_dir(tmp_path, version: str, replace: tuple[str, str] | None = None):
    folder = tmp_path / version
    folder.mkdir()
    for path in SCENARIOS.glob("*.yaml"):
        shutil.copy(path, folder / path.name)
    policy = (folder / "policy.yaml").read_text()
    policy = policy.replace('version: "2018-09"', f'version: "{version}"')
    if replace:
        old, new = replace
        assert old in policy
        policy = policy.replace(old, new)
    (folder / "policy.yaml").write_text(policy)
    return sorted(str(p) for p in folder.glob("*.yaml"))


def load(app, paths):
    result = app.test_cli_runner().invoke(args=["scenarios", "load", *paths])
    assert result.exit_code == 0, result.output
    return result.output


def pass_module(client, slug):
    attempt_id = start(client, slug)
    for position in range(1, drawn(attempt_id) + 1):
        answer(client, attempt_id, position, right_answer(scenario_at(attempt_id, position)))
    client.post(f"/attempts/{attempt_id}/finish")
    return attempt_id


def standing_in(person, slug, on):
    db.session.expire_all()
    row = db.session.scalar(select(ModuleProgress).join(Module, Module.id == ModuleProgress.module_id)
                            .where(ModuleProgress.person_id == person.id, Module.slug == slug))
    return row, standing(row, on, RecordSettings())


def test_a_changed_clause_needs_a_refresh_of_only_the_modules_that_rely_on_it(app, make_client, people, tmp_path):
    load(app, library_dir(tmp_path, "2018-09"))
    with travel_to(date(2026, 3, 1)):
        manager = people.person()
        people.person(manager=manager)
        client = make_client()
        client.login(manager.email)
        pass_module(client, "core-social-media")
        first_pass = pass_module(client, "managers-and-headteachers")

    with travel_to(date(2026, 6, 1)):
        output = load(app, library_dir(tmp_path, "2026-01", (OLD_23, NEW_23)))
        assert "managers-and-headteachers: passes on the previous policy need a refresh on clauses 2.3" in output
        assert "core-social-media: passes" not in output
        core_row, core = standing_in(manager, "core-social-media", date(2026, 6, 1))
        assert core.state is State.passed and core.current
        row, managers = standing_in(manager, "managers-and-headteachers", date(2026, 6, 1))
        assert managers.refresh and managers.state is State.due_soon and not managers.current
        assert row.refresh_clauses == ["2.3"] and row.due_on == date(2026, 7, 1)
        client.login(manager.email)  # another day: sessions end after 10 hours
        page = client.get("/").get_data(as_text=True)
        assert "changed clauses 2.3" in page and "Start the refresh" in page

    with travel_to(date(2026, 7, 2)):
        assert standing_in(manager, "managers-and-headteachers", date(2026, 7, 2))[1].state is State.overdue

    with travel_to(date(2026, 7, 3)):
        client.login(manager.email)  # another day: sessions end after 10 hours
        refresh_id = start(client, "managers-and-headteachers")
        refresh = db.session.get(Attempt, refresh_id)
        assert refresh.kind == "refresh" and refresh.refresh_clauses == ["2.3"]
        drawn_scenarios = [scenario_at(refresh_id, p) for p in range(1, drawn(refresh_id) + 1)]
        assert drawn_scenarios and all(relied_on_any(s, ["2.3"]) for s in drawn_scenarios)
        pool = db.session.scalars(select(Scenario).where(Scenario.module_version_id == refresh.module_version_id)).all()
        assert len(drawn_scenarios) == sum(relied_on_any(s, ["2.3"]) for s in pool)  # all the changed-clause ones
        for position in range(1, len(drawn_scenarios) + 1):
            answer(client, refresh_id, position, right_answer(scenario_at(refresh_id, position)))
        client.post(f"/attempts/{refresh_id}/finish")

        row, after = standing_in(manager, "managers-and-headteachers", date(2026, 7, 3))
        assert after.state is State.passed and after.current and row.refresh_clauses is None
        new_policy = db.session.scalar(select(PolicyVersion).where(PolicyVersion.version == "2026-01"))
        assert row.pass_policy_version_id == new_policy.id
        assert row.valid_until == db.session.get(Attempt, first_pass).valid_until  # a refresh does not extend


def test_every_pass_records_the_policy_version_it_was_earned_on(app, make_client, people, tmp_path):
    load(app, library_dir(tmp_path, "2018-09"))
    client = make_client()
    client.login(people.person().email)
    first = pass_module(client, "core-social-media")
    load(app, library_dir(tmp_path, "2026-01", ("must avoid making any social media", "must not make any social media")))
    assert db.session.get(Attempt, first).policy_version.version == "2018-09"


def test_a_new_version_with_the_same_words_needs_no_refresh(app, make_client, people, tmp_path):
    load(app, library_dir(tmp_path, "2018-09"))
    client = make_client()
    person = people.person()
    client.login(person.email)
    pass_module(client, "core-social-media")
    output = load(app, library_dir(tmp_path, "2018-10"))
    assert "need a refresh" not in output
    assert standing_in(person, "core-social-media", date.today())[1].current


def test_an_expired_pass_is_not_refreshed_but_taken_again(app, make_client, people, tmp_path):
    load(app, library_dir(tmp_path, "2018-09"))
    with travel_to(date(2025, 1, 10)):
        client = make_client()
        person = people.person()
        client.login(person.email)
        pass_module(client, "core-social-media")
    with travel_to(date(2026, 2, 1)):
        load(app, library_dir(tmp_path, "2026-01", ("must avoid making any social media", "must not make any social media")))
        row, now = standing_in(person, "core-social-media", date(2026, 2, 1))
        assert now.state is State.expired and row.refresh_clauses is None
        client.login(person.email)  # another day: sessions end after 10 hours
        attempt_id = start(client, "core-social-media")
        assert db.session.get(Attempt, attempt_id).kind == "full"
    assert date(2026, 2, 1) - timedelta(days=1) > date(2026, 1, 10)
