"""What the app writes to the audit log: role changes and leavers from imports, every request
move, exports, and views of other people's records; always in the transaction of the change."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.api import tokens
from lms.approvals import service
from lms.audit import verify
from lms.clock import today
from lms.extensions import db
from lms.models import AuditEvent, ImportRun, Person, Role
from lms.records.settings import RecordSettings

SETTINGS = RecordSettings()
HEADER = "email,first name,last name,staff type,unit,role,line manager email,active"


def events(action: str | None = None) -> list[AuditEvent]:
    db.session.expire_all()
    query = select(AuditEvent).order_by(AuditEvent.seq)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


def detail(event: AuditEvent) -> dict:
    return json.loads(event.detail)


def import_file(app, tmp_path, *lines: str, full: bool = False):
    path = tmp_path / "staff.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n")
    result = app.test_cli_runner().invoke(args=["staff", "import", str(path), *(["--full"] if full else [])])
    assert result.exit_code == 0, result.output
    return result


def by_email(email: str) -> Person:
    db.session.expire_all()
    return db.session.scalar(select(Person).where(Person.email == email))


def signed_in(make_client, person: Person):
    client = make_client()
    client.login(person.email)
    return client


# --- the staff import ------------------------------------------------------------------

def test_an_import_logs_its_counts_each_role_change_and_each_leaver(app, tmp_path, content):
    import_file(app, tmp_path, "head@oak.org,Alex,Morgan,employee,Oakfield,headteacher,,yes",
                "jo@oak.org,Jo,Shah,employee,Oakfield,,head@oak.org,yes",
                "sam@oak.org,Sam,Lee,employee,Oakfield,admin,,yes")
    head, jo, sam = by_email("head@oak.org"), by_email("jo@oak.org"), by_email("sam@oak.org")
    first = db.session.scalar(select(ImportRun))
    [run_event] = events("people.import")
    assert (run_event.object_type, run_event.object_id, run_event.actor_id) == ("import_run", first.id, None)
    assert detail(run_event) | {"source": "?"} == {"source": "?", "full": False, "rows": 3, "created": 3, "updated": 0,
                                                  "unchanged": 0, "deactivated": 0, "reactivated": 0}
    assert {(e.subject_id, tuple(detail(e)["added"])) for e in events("people.roles_changed")} == {
        (head.id, ("headteacher",)), (sam.id, ("admin",))}

    # Sam loses admin and becomes a trust lead; Jo leaves (a full file without Jo); the head is unchanged.
    import_file(app, tmp_path, "head@oak.org,Alex,Morgan,employee,Oakfield,headteacher,,yes",
                "sam@oak.org,Sam,Lee,employee,Oakfield,trust lead,,yes", full=True)
    second = db.session.scalar(select(ImportRun).order_by(ImportRun.id.desc()))
    changed = [e for e in events("people.roles_changed") if e.object_id == second.id]
    assert [(e.subject_id, detail(e)) for e in changed] == [(sam.id, {"added": ["trust_lead"], "removed": ["admin"]})]
    [left] = events("people.deactivated")
    assert (left.subject_id, left.object_id) == (jo.id, second.id)
    assert detail(events("people.import")[-1])["deactivated"] == 1
    jo = by_email("jo@oak.org")
    assert not jo.active and jo.deactivated_at is not None and head.deactivated_at is None

    import_file(app, tmp_path, "jo@oak.org,Jo,Shah,employee,Oakfield,,head@oak.org,yes")
    [back] = events("people.reactivated")
    assert back.subject_id == jo.id
    jo = by_email("jo@oak.org")
    assert jo.active and jo.deactivated_at is None
    assert verify(db.session)[1] is None


def test_someone_listed_as_inactive_on_arrival_gets_a_leaving_date(app, tmp_path, content):
    import_file(app, tmp_path, "old@oak.org,Ola,Dee,employee,Oakfield,,,no")
    assert by_email("old@oak.org").deactivated_at is not None


# --- requests --------------------------------------------------------------------------

@pytest.fixture
def trust(app, people, content):
    t = type("Trust", (), {})()
    school = people.unit("Oakfield Primary")
    t.head = people.person(unit=school, roles=(Role.headteacher,))
    t.manager = people.person(unit=school, manager=t.head)
    t.teacher = people.person(unit=school, manager=t.manager)
    t.colleague = people.person(unit=school, manager=t.manager)
    return t


def test_every_move_of_a_request_is_logged_with_its_states(trust):
    request = service.submit_reference(db.session, trust.teacher, subject_name="A former pupil",
                                       reference_for="LinkedIn", draft=None)
    db.session.commit()
    service.decline(db.session, request, trust.head, "Not on behalf of the school")
    db.session.commit()
    logged = [(e.action, e.actor_id, e.subject_id, e.object_id, detail(e)) for e in events()
              if e.object_type == "request"]
    assert logged == [
        ("request.submitted", trust.teacher.id, trust.teacher.id, request.id,
         {"kind": "reference", "move": "submit", "from": None, "to": "submitted"}),
        ("request.declined", trust.head.id, trust.teacher.id, request.id,
         {"kind": "reference", "move": "decline", "from": "submitted", "to": "declined"}),
    ]


def test_a_refused_or_rolled_back_move_leaves_no_event(trust):
    request = service.submit_reference(db.session, trust.teacher, subject_name="A pupil", reference_for="X", draft=None)
    db.session.commit()
    with pytest.raises(service.ApprovalError):
        service.decline(db.session, request, trust.colleague, "Not mine to decide")
    db.session.rollback()
    service.approve(db.session, request, trust.head, SETTINGS)
    db.session.rollback()  # as a view does when something after the move fails
    assert [e.action for e in events()] == ["request.submitted"]
    assert verify(db.session) == (1, None)


def test_a_lapse_is_logged_as_the_systems_move(trust):
    request = service.submit_business_use(db.session, trust.teacher, accounts="@oak", platforms=["instagram"],
                                          purpose="News", starts_on=today(), ends_on=None, settings=SETTINGS)
    service.approve(db.session, request, trust.manager, SETTINGS, expires_on=today() + timedelta(days=30))
    trust.teacher.active = False
    db.session.commit()
    service.lapse_due(db.session, SETTINGS, today())
    db.session.commit()
    [lapsed] = events("request.lapsed")
    assert (lapsed.actor_id, lapsed.subject_id, detail(lapsed)["from"]) == (None, trust.teacher.id, "approved")


def test_naming_a_delegate_is_logged(trust):
    service.set_delegate(db.session, trust.manager, trust.colleague, today(), today() + timedelta(days=5))
    db.session.commit()
    [made] = events("delegation.created")
    assert (made.actor_id, made.subject_id) == (trust.manager.id, trust.colleague.id)


# --- views of other people's records -----------------------------------------------------

def test_the_team_page_logs_each_person_shown_but_not_the_viewer(make_client, trust):
    client = signed_in(make_client, trust.manager)
    assert client.get("/team").status_code == 200
    seen = events("records.viewed")
    assert sorted(e.subject_id for e in seen) == sorted([trust.teacher.id, trust.colleague.id])
    assert all(e.actor_id == trust.manager.id and detail(e) == {"page": "team", "scope": "reports"} for e in seen)
    assert seen[0].address == "127.0.0.1"


def test_a_request_seen_by_its_approver_is_logged_and_by_its_author_is_not(make_client, trust):
    request = service.submit_reference(db.session, trust.teacher, subject_name="A pupil", reference_for="X", draft=None)
    db.session.commit()
    assert signed_in(make_client, trust.teacher).get(f"/requests/{request.id}").status_code == 200
    assert events("records.viewed") == []
    assert signed_in(make_client, trust.head).get(f"/requests/{request.id}").status_code == 200
    [seen] = events("records.viewed")
    assert (seen.actor_id, seen.subject_id, seen.object_type, seen.object_id) == (
        trust.head.id, trust.teacher.id, "request", request.id)


def test_a_refused_view_is_not_logged_as_a_view(make_client, trust):
    request = service.submit_reference(db.session, trust.teacher, subject_name="A pupil", reference_for="X", draft=None)
    db.session.commit()
    assert signed_in(make_client, trust.colleague).get(f"/requests/{request.id}").status_code == 403
    assert events("records.viewed") == []


# --- exports ---------------------------------------------------------------------------

def test_downloads_are_logged_as_exports(make_client, trust):
    head = signed_in(make_client, trust.head)
    assert head.get("/dashboards/").status_code == 200
    assert events("records.viewed") == []  # an aggregate page is not a view of anyone's record
    response = head.get("/dashboards/csv/by-staff-type.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    [dash] = events("export.dashboard_csv")
    assert dash.actor_id == trust.head.id and detail(dash)["scope"]

    assert head.get("/requests/register.csv").status_code == 200
    assert detail(events("export.register_csv")[0]) == {"rows": 0}

    teacher = signed_in(make_client, trust.teacher)
    assert teacher.get("/training/history.csv").status_code == 200
    [history] = events("export.training_history")
    assert (history.actor_id, history.subject_id, detail(history)) == (trust.teacher.id, trust.teacher.id,
                                                                       {"format": "csv"})


def test_api_calls_are_exports_and_team_records_are_views(client, trust):
    _, plaintext = tokens.create_token(db.session, trust.head, "Power BI")
    db.session.commit()
    auth = {"Authorization": f"Bearer {plaintext}"}
    assert client.get("/api/v1/completion/units", headers=auth).status_code == 200
    assert client.get("/api/v1/team/records", headers=auth).status_code == 200
    assert client.get("/api/v1/team/records?limit=0", headers=auth).status_code == 400
    calls = events("export.api_report")
    assert [detail(e)["path"] for e in calls] == ["/api/v1/completion/units", "/api/v1/team/records"]
    assert {e.actor_id for e in calls} == {trust.head.id}
    seen = {e.subject_id for e in events("records.viewed")}
    assert seen == {trust.manager.id, trust.teacher.id, trust.colleague.id}  # the unit, without the head
    assert verify(db.session)[1] is None


def test_a_certificate_download_is_an_export_about_its_owner(client, people, content):
    from tests.certificates.test_certificates import take

    person = people.person()
    client.login(person.email)
    attempt = take(client, wrong=1)
    assert client.get(f"/certificates/{attempt.certificate_code}.pdf").status_code == 200
    [export] = events("export.certificate")
    assert (export.actor_id, export.subject_id, export.object_type, export.object_id, detail(export)) == (
        person.id, person.id, "attempt", attempt.id, {"format": "pdf"})


def test_contests_shown_with_their_authors_are_views_of_them(make_client, people, content):
    from lms.models import Attempt
    from lms.training import service as training
    from tests.certificates.test_certificates import take

    author = people.person()
    lead = people.person(roles=(Role.trust_lead,))
    take(signed_in(make_client, author), wrong=1)
    attempt = db.session.scalar(select(Attempt).where(Attempt.person_id == author.id))
    training.contest(db.session, author, attempt, 1, "The marking of this one looks wrong to me")
    db.session.commit()
    assert signed_in(make_client, lead).get("/library/contests").status_code == 200
    [seen] = events("records.viewed")
    assert (seen.actor_id, seen.subject_id, detail(seen)) == (lead.id, author.id, {"page": "library.contests"})
