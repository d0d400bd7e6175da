"""The kept completion counts (lms.dashboards.kept_counts) always say what the records say.

Each test changes records the way some part of the app does (the ORM, bulk statements, a new day)
and compares what the dashboards read with the same numbers counted from every record.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select, text, update

from lms.clock import travel_to
from lms.dashboards import authorisations, completion, kept_counts, kept_reads, periods, scores, trends
from lms.dashboards.scope import Filters, Scope
from lms.extensions import db
from lms.models import (
    CompletionDirty,
    Module,
    ModuleProgress,
    Person,
    Request,
    RequestKind,
    RequestState,
    StaffType,
)
from lms.records.requirements import sync_requirements
from lms.records.settings import RecordSettings
from tests.dashboards.test_pages import CORE, PERSONAL, TODAY, Trust, attempt, csv_rows, page, signed_in, table

SETTINGS = RecordSettings()


def views(trust: Trust) -> list[tuple[Scope, Filters]]:
    whole, oak = Scope("trust"), Scope("oak", unit_ids=(trust.oak.id,))
    return [(whole, Filters()), (whole, Filters(unit_id=trust.river.id)),
            (whole, Filters(staff_type=StaffType.volunteer)), (whole, Filters(module=CORE)),
            (whole, Filters(unit_id=trust.oak.id, module=PERSONAL)), (oak, Filters()),
            (oak, Filters(staff_type=StaffType.employee))]


RANGES = [(date(2026, 9, 1), date(2027, 8, 31)), (date(2026, 9, 12), date(2026, 10, 1)),
          (date(2026, 10, 1), date(2026, 10, 31)), (date(2025, 9, 1), date(2026, 10, 15))]


def assert_counts_match(trust: Trust, day: date = TODAY, settings: RecordSettings = SETTINGS) -> None:
    for scope, filters in views(trust):
        for dimension in ("unit", "staff_type", "module"):
            kept = completion.completion_by(db.session, dimension, scope, filters, day, settings)
            counted = completion.counted_from_records(db.session, dimension, scope, filters, day, settings)
            assert kept == counted, (dimension, scope.label, filters)
        for start, end in RANGES:
            week = lambda moment, start=start: periods.WeekIndex(moment, start)  # noqa: E731
            assert (kept_reads.first_passes(db.session, scope, filters, start, end, week)
                    == trends.first_passes_from_records(db.session, scope, filters, start, end)), \
                (scope.label, filters, start, end)
            assert (kept_reads.latest_scores(db.session, scope, filters, start, end)
                    == scores.scores_from_records(db.session, scope, filters, start, end)), \
                (scope.label, filters, start, end)
        kept_requests = {RequestState(k): v for k, v in kept_reads.requests_by_state(db.session, scope, filters).items()}
        assert kept_requests == authorisations.requests_from_records(db.session, scope, filters), (scope.label, filters)
    assert db.session.scalar(select(CompletionDirty.unit_id).limit(1)) is None  # every mark dealt with


def marked() -> set[int]:
    return set(db.session.scalars(select(CompletionDirty.unit_id)))


def test_the_kept_counts_are_the_records_counts_for_every_view(trust):
    assert kept_counts.refresh(db.session, TODAY, SETTINGS) is True  # counted for the first time
    assert_counts_match(trust)
    assert kept_counts.refresh(db.session, TODAY, SETTINGS) is False  # nothing changed: nothing to do


def test_every_kind_of_write_is_counted_without_asking(trust):
    assert_counts_match(trust)

    attempt(trust.report2, trust.modules[CORE], TODAY - timedelta(days=1), 92, True)  # the ORM: a pass
    db.session.commit()
    assert_counts_match(trust)

    # Passing again: a first pass of a range that starts after the first pass, and of no range holding both.
    attempt(trust.report1, trust.modules[CORE], date(2026, 10, 12), 97, True)
    attempt(trust.report1, trust.modules[CORE], date(2026, 10, 12), 99, True)  # twice the same day: counted once
    db.session.commit()
    assert_counts_match(trust)
    october = kept_reads.first_passes(db.session, Scope("trust"), Filters(unit_id=trust.oak.id), date(2026, 10, 1),
                                      date(2026, 10, 31), lambda m: periods.WeekIndex(m, date(2026, 10, 1)))
    assert sum(n for _, n in october) == 3  # colleague on 2 Oct, report2 on 14 Oct, report1 again on 12 Oct

    trust.b1.active = False  # someone leaves
    db.session.commit()
    assert_counts_match(trust)

    trust.b2.unit_id = trust.oak.id  # moves school
    db.session.commit()
    assert_counts_match(trust)

    # A bulk statement, as the staff import writes (no ORM objects, no Python events).
    db.session.execute(update(Person).where(Person.id == trust.c1.id).values(staff_type=StaffType.agency_worker))
    db.session.commit()
    assert_counts_match(trust)

    core_id = db.session.scalar(select(Module.id).where(Module.slug == CORE))
    db.session.execute(update(ModuleProgress).where(ModuleProgress.person_id == trust.colleague.id,
                                                    ModuleProgress.module_id == core_id)
                       .values(valid_until=TODAY - timedelta(days=1)))  # a pass lapses
    db.session.commit()
    assert_counts_match(trust)

    newcomer = Person(email="new@example.org", first_name="New", last_name="Starter", staff_type=StaffType.volunteer,
                      unit_id=trust.river.id, start_date=TODAY, active=True)
    db.session.add(newcomer)
    db.session.flush()
    sync_requirements(db.session, SETTINGS, TODAY)  # requirements inserted with INSERT … SELECT
    db.session.commit()
    assert_counts_match(trust)

    db.session.execute(delete(ModuleProgress).where(ModuleProgress.person_id == newcomer.id))
    db.session.commit()
    assert_counts_match(trust)

    # Business-use requests: a new one, and one decided (a conditional UPDATE, as the approvals service does).
    db.session.add(Request(kind=RequestKind.business_use, state=RequestState.submitted, requester_id=trust.b3.id,
                           approver_id=trust.head_b.id, unit_id=trust.river.id))
    db.session.commit()
    assert_counts_match(trust)
    db.session.execute(update(Request).where(Request.requester_id == trust.c1.id).values(state=RequestState.approved))
    db.session.commit()
    assert_counts_match(trust)


def test_a_new_day_or_new_settings_count_everything_again(trust):
    assert_counts_match(trust)
    # Nothing is written, yet passes expire and due dates pass: the day changes every state.
    for later in (TODAY + timedelta(days=20), TODAY + timedelta(days=400)):
        with travel_to(later):
            assert kept_counts.refresh(db.session, later, SETTINGS) is True
            assert_counts_match(trust, later)
    longer = RecordSettings(due_soon_days=60)
    assert kept_counts.refresh(db.session, TODAY, longer) is True
    assert_counts_match(trust, TODAY, longer)


def test_a_write_marks_the_units_it_changes_and_nothing_else(trust):
    kept_counts.refresh(db.session, TODAY, SETTINGS)
    assert marked() == set()
    trust.b3.unit_id = trust.central.id
    db.session.commit()
    assert marked() == {trust.river.id, trust.central.id}  # counted out of one, into the other
    kept_counts.refresh(db.session, TODAY, SETTINGS)
    trust.b3.first_name = "Renamed"  # nothing the counts depend on
    trust.b3.last_login_at = None
    db.session.commit()
    assert marked() == set()


@pytest.mark.postgresql_only
def test_a_unit_changed_while_it_is_being_counted_stays_marked(trust, monkeypatch):
    """Another worker commits a change to a unit after this one read the unit's mark: the mark survives."""
    kept_counts.refresh(db.session, TODAY, SETTINGS)
    trust.b1.active = False
    db.session.commit()
    assert marked() == {trust.river.id}
    real_recount = kept_counts._recount

    def recount_then_another_writer(session, day, settings, units):
        real_recount(session, day, settings, units)
        with db.engine.begin() as other:  # a second connection: another request, committed meanwhile
            other.execute(text("UPDATE people SET active = :yes WHERE id = :id"), {"yes": True, "id": trust.b1.id})

    monkeypatch.setattr(kept_counts, "_recount", recount_then_another_writer)
    kept_counts.refresh(db.session, TODAY, SETTINGS)
    assert marked() == {trust.river.id}  # still out of date, so the next reader recounts it
    monkeypatch.setattr(kept_counts, "_recount", real_recount)
    assert_counts_match(trust)


def test_a_page_lists_the_units_with_the_lowest_completion_and_the_csv_every_unit(app, trust, make_client):
    lead = signed_in(make_client, trust.lead)
    every = [row[0] for row in csv_rows(lead, "by-unit")[1:]]
    assert len(every) == 3
    app.config["DASHBOARD_UNITS_ON_PAGE"] = 2
    html = page(lead)
    shown = [row[0] for row in table(html, "by-unit")]
    assert len(shown) == 2
    assert "The 2 units with the lowest completion, of 3 in this view" in html
    counted = completion.counted_from_records(db.session, "unit", Scope("trust"), Filters(), TODAY, SETTINGS)
    lowest = sorted(counted, key=lambda r: (r.share if r.share is not None else 1.0, r.label))[:2]
    assert set(shown) == {r.label for r in lowest}
    assert [row[0] for row in csv_rows(lead, "by-unit")[1:]] == every  # the CSV still lists every unit


def test_the_nightly_command_counts_once_per_day(app, trust):
    runner = app.test_cli_runner()
    with travel_to(TODAY):
        first = runner.invoke(args=["dashboards", "refresh"])
        again = runner.invoke(args=["dashboards", "refresh"])
    assert first.exit_code == 0 and "recounted for 15 Oct 2026" in first.output
    assert again.exit_code == 0 and "already up to date" in again.output


def test_with_many_units_the_unit_is_typed_by_name(monkeypatch, trust, make_client):
    """A national view's units do not fit a drop-down: a name typed in, checked, and a drill-down kept."""
    from lms.dashboards import choices
    from lms.models import Unit, UnitKind

    monkeypatch.setattr(choices, "UNIT_LIST_MAX", 2)
    lead = signed_in(make_client, trust.lead)
    html = page(lead)
    assert 'name="unit_name"' in html and '<select id="unit"' not in html
    named = page(lead, "/dashboards/?unit_name=riverside+academy")
    assert [row[0] for row in table(named, "by-staff-type")] and "Training completion: Riverside Academy" in named
    with travel_to(TODAY):
        nowhere = lead.get("/dashboards/?unit_name=Nowhere")
    assert nowhere.status_code == 400 and "Unit: there is no unit called &#39;Nowhere&#39;." in nowhere.get_data(
        as_text=True)
    assert "Training completion:" not in page(lead, "/dashboards/?unit_name=&unit=" + str(trust.oak.id))
    db.session.add(Unit(name="RIVERSIDE ACADEMY", kind=UnitKind.school))  # names are unique, but not their capitals
    db.session.commit()
    with travel_to(TODAY):
        twice = lead.get("/dashboards/?unit_name=riverside+academy").get_data(as_text=True)
    assert "Unit: 2 units are called &#39;riverside academy&#39; in different capitals" in twice
    exact = page(lead, f"/dashboards/?unit={trust.oak.id}&unit_name=Riverside+Academy")  # the typed name decides
    assert "Training completion: Riverside Academy" in exact
    assert 'name="unit_name"' in page(lead, "/dashboards/understanding")


def test_reading_a_dashboard_commits_nothing_the_caller_has_pending(trust):
    """The recount a read brings about runs in its own transaction: the caller's pending changes stay theirs.

    A change added to the session (not committed) while the counts have a recount to do: reading
    completion, then the whole completion dashboard, must leave it uncommitted, so a rollback
    removes it; the recount itself is committed.
    """
    from lms.dashboards.completion_page import Dashboard
    from lms.dashboards.privacy import Privacy
    from lms.models import Unit, UnitKind

    kept_counts.refresh(db.session, TODAY, SETTINGS)
    trust.b1.active = False  # marks Riverside: the next read has a recount to do
    db.session.commit()
    assert marked() == {trust.river.id}
    db.session.add(Unit(name="Pending Academy", kind=UnitKind.school))  # the caller's, never committed
    trust.c1.first_name = "Uncommitted"
    completion.completion_by(db.session, "unit", Scope("trust"), Filters(), TODAY, SETTINGS)
    dashboard = Dashboard(db.session, Scope("trust"), Filters(), TODAY, SETTINGS, Privacy(5, True), unit_limit=50)
    assert [chart.id for chart in dashboard.charts()]
    db.session.rollback()
    with db.engine.connect() as other:  # what is in the database, not in this session
        assert other.scalar(select(Unit.id).where(Unit.name == "Pending Academy")) is None
        assert other.scalar(select(Person.first_name).where(Person.id == trust.c1.id)) != "Uncommitted"
    assert marked() == set()  # the recount was committed, on its own
    assert_counts_match(trust)
