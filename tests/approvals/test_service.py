"""The approval rules, in the service layer: routing, every state, illegal moves, concurrency."""

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.approvals import service
from lms.approvals.service import ApprovalError
from lms.clock import today
from lms.extensions import db
from lms.models import (
    Delegation,
    Module,
    ModuleProgress,
    Request,
    RequestKind,
    RequestState,
    Role,
    UnitKind,
)
from lms.records.settings import RecordSettings
from tests.conftest import SCENARIOS

SETTINGS = RecordSettings()
S = RequestState


@pytest.fixture
def trust(app, people):
    """A school and the central team with their approvers, and the whole content library loaded."""
    result = app.test_cli_runner().invoke(args=["scenarios", "load", *sorted(str(p) for p in SCENARIOS.glob("*.yaml"))])
    assert result.exit_code == 0, result.output
    school = people.unit("Oakfield Primary", UnitKind.school)
    central = people.unit("Central Team", UnitKind.central)
    t = type("Trust", (), {})()
    t.ceo = people.person(unit=central, roles=(Role.ceo,))
    t.head = people.person(unit=school, roles=(Role.headteacher,), manager=t.ceo)
    t.manager = people.person(unit=school, manager=t.head)
    t.teacher = people.person(unit=school, manager=t.manager)
    t.unmanaged = people.person(unit=school)
    t.central = people.person(unit=central)
    t.central_managed = people.person(unit=central, manager=t.ceo)
    t.colleague = people.person(unit=school, manager=t.manager)
    return t


def business_use(person, **overrides):
    fields = dict(accounts="@oakfield_year3 on Instagram", platforms=["instagram"], purpose="Class news for parents",
                  starts_on=today(), ends_on=today() + timedelta(days=300), settings=SETTINGS)
    fields.update(overrides)
    return service.submit_business_use(db.session, person, **fields)


def give_pass(person, valid_until=None):
    """A current pass of the business-use module, as finishing the module would record it."""
    module = db.session.scalar(select(Module).where(Module.slug == service.BUSINESS_USE_MODULE))
    row = db.session.scalar(select(ModuleProgress).where(ModuleProgress.person_id == person.id,
                                                         ModuleProgress.module_id == module.id))
    row.valid_until = valid_until or today() + timedelta(days=200)
    row.passed_at = db.func.now()
    db.session.flush()


def history(request):
    return [(e.from_state, e.to_state, e.actor_id) for e in request.events]


# --- routing -----------------------------------------------------------------------------

def test_business_use_goes_to_the_line_manager_else_the_head_or_the_ceo(trust):
    assert business_use(trust.teacher).approver_id == trust.manager.id
    assert business_use(trust.unmanaged).approver_id == trust.head.id
    assert business_use(trust.central).approver_id == trust.ceo.id
    assert business_use(trust.head).approver_id == trust.ceo.id  # the head's own line manager


def test_enquiries_and_references_go_to_the_head_or_the_ceo(trust):
    enquiry = service.submit_media_enquiry(db.session, trust.teacher, enquirer="A reporter", outlet="Gazette",
                                           question="Comment?", deadline=None)
    assert enquiry.approver_id == trust.head.id
    assert service.submit_reference(db.session, trust.central, subject_name="Sam", reference_for="LinkedIn",
                                    draft=None).approver_id == trust.ceo.id
    own = service.submit_reference(db.session, trust.head, subject_name="Sam", reference_for="LinkedIn", draft=None)
    assert own.approver_id == trust.ceo.id  # nobody decides their own


def test_a_reporter_chooses_the_headteacher_or_the_ceo(trust):
    to_head = service.submit_misuse_report(db.session, trust.teacher, recipient="headteacher", link=None,
                                           description="A page mocking Oakfield", withhold_name=True)
    to_ceo = service.submit_misuse_report(db.session, trust.teacher, recipient="ceo", link="https://example.org/p",
                                          description=None, withhold_name=False)
    assert (to_head.approver_id, to_ceo.approver_id) == (trust.head.id, trust.ceo.id)


def test_nobody_to_approve_the_ceo_is_a_clear_refusal(trust):
    with pytest.raises(ApprovalError, match="Nobody in the system can decide this request"):
        business_use(trust.ceo)


def test_asking_for_business_use_makes_the_module_required(trust):
    business_use(trust.teacher)
    row = db.session.scalar(select(ModuleProgress).join(Module, Module.id == ModuleProgress.module_id)
                            .where(ModuleProgress.person_id == trust.teacher.id, Module.slug == service.BUSINESS_USE_MODULE))
    assert row.required and row.reason == "assigned"


@pytest.mark.parametrize("fields, message", [
    (dict(accounts="  "), "Which accounts: enter this."),
    (dict(platforms=[]), "Platforms: choose at least one."),
    (dict(starts_on=date(2020, 1, 1)), "From: the start date cannot be in the past."),
    (dict(ends_on=date(2020, 1, 1)), "Until: the end date must be on or after the start date."),
    (dict(purpose="x" * 2001), "Purpose: at most 2000 characters (2001 given)."),
])
def test_bad_input_is_refused_with_the_field_named_and_nothing_saved(trust, fields, message):
    with pytest.raises(ApprovalError) as caught:
        business_use(trust.teacher, **fields)
    assert str(caught.value) == message
    db.session.rollback()
    assert db.session.scalar(select(db.func.count()).select_from(Request)) == 0


# --- every state ------------------------------------------------------------------------

def test_business_use_through_training_approval_and_revocation(trust):
    request = business_use(trust.teacher)
    service.require_training(db.session, request, trust.manager, "Please do the module first.")
    assert request.state is S.training_required
    with pytest.raises(ApprovalError, match="does not hold a current pass of the business-use module"):
        service.approve(db.session, request, trust.manager, SETTINGS, expires_on=today() + timedelta(days=90))
    give_pass(trust.teacher)
    service.approve(db.session, request, trust.manager, SETTINGS, conditions="Posts checked by the deputy",
                    condition_flags=["no_pupil_images", "official_account_only"], expires_on=today() + timedelta(days=90))
    assert request.state is S.approved and request.condition_flags == ["no_pupil_images", "official_account_only"]
    service.revoke(db.session, request, trust.manager, "Posted a pupil's photo")
    assert request.state is S.revoked
    assert history(request) == [(None, "submitted", trust.teacher.id),
                                ("submitted", "training_required", trust.manager.id),
                                ("training_required", "approved", trust.manager.id),
                                ("approved", "revoked", trust.manager.id)]
    assert request.events[-1].note == "Posted a pupil's photo"


def test_business_use_declined_and_withdrawn(trust):
    declined = business_use(trust.teacher)
    service.decline(db.session, declined, trust.manager, "Not part of your role")
    withdrawn = business_use(trust.colleague)
    service.withdraw(db.session, withdrawn, trust.colleague)
    assert (declined.state, withdrawn.state) == (S.declined, S.withdrawn)


def test_approval_needs_a_future_review_date_and_known_conditions(trust):
    request = business_use(trust.teacher)
    with pytest.raises(ApprovalError, match="Review or expiry date"):
        service.approve(db.session, request, trust.manager, SETTINGS, expires_on=None)
    with pytest.raises(ApprovalError, match="unknown condition"):
        service.approve(db.session, request, trust.manager, SETTINGS, expires_on=today() + timedelta(days=5),
                        condition_flags=["anything_goes"])
    assert request.state is S.submitted


def test_a_media_enquiry_cannot_be_answered_without_written_approval(trust):
    enquiry = service.submit_media_enquiry(db.session, trust.teacher, enquirer="J. Reporter", outlet="Hertsmere Gazette",
                                           question="Why did the school close early?", deadline=today())
    with pytest.raises(ApprovalError, match="it cannot be marked as answered until it is approved"):
        service.mark_answered(db.session, enquiry, trust.teacher)
    with pytest.raises(ApprovalError, match="Approved response: enter this."):
        service.approve(db.session, enquiry, trust.head, SETTINGS, approved_response=" ")
    service.approve(db.session, enquiry, trust.head, SETTINGS, approved_response="We closed for a burst pipe.")
    service.mark_answered(db.session, enquiry, trust.teacher)
    assert enquiry.state is S.answered and enquiry.approved_response == "We closed for a burst pipe."


def test_a_reference_gets_express_authority_or_not(trust):
    yes = service.submit_reference(db.session, trust.teacher, subject_name="Priya", reference_for="LinkedIn", draft="x")
    no = service.submit_reference(db.session, trust.colleague, subject_name="Tom", reference_for="An employer", draft=None)
    service.approve(db.session, yes, trust.head, SETTINGS, note="Express authority given")
    service.decline(db.session, no, trust.head, "References go through the office")
    assert (yes.state, no.state) == (S.approved, S.declined)


def test_a_misuse_report_is_closed_with_what_was_done(trust):
    report = service.submit_misuse_report(db.session, trust.teacher, recipient="headteacher", link=None,
                                          description="Fake staff account", withhold_name=True)
    with pytest.raises(ApprovalError, match="What was done: enter this."):
        service.close(db.session, report, trust.head, "")
    service.close(db.session, report, trust.head, "Reported to the platform; account removed")
    assert report.state is S.closed and report.outcome == "Reported to the platform; account removed"
    assert service.requester_name_visible(trust.head, report)
    assert not service.requester_name_visible(trust.manager, report)


# --- illegal moves ------------------------------------------------------------------------

def test_a_declined_request_cannot_be_approved_and_nothing_is_decided_twice(trust):
    request = business_use(trust.teacher)
    service.decline(db.session, request, trust.manager, "No")
    with pytest.raises(ApprovalError, match="This request is declined; it can no longer be approved."):
        service.approve(db.session, request, trust.manager, SETTINGS, expires_on=today() + timedelta(days=9))
    with pytest.raises(ApprovalError, match="it can no longer be declined"):
        service.decline(db.session, request, trust.manager, "No again")
    assert [e.to_state for e in request.events] == ["submitted", "declined"]


def test_nobody_approves_their_own_request_even_as_a_delegate(trust):
    request = business_use(trust.teacher)
    service.set_delegate(db.session, trust.manager, trust.teacher, today(), today() + timedelta(days=7))
    with pytest.raises(ApprovalError, match="You cannot decide your own request."):
        service.approve(db.session, request, trust.teacher, SETTINGS, expires_on=today() + timedelta(days=9))


def test_only_the_routed_approver_or_their_delegate_decides(trust):
    request = business_use(trust.teacher)
    for outsider in (trust.head, trust.colleague, trust.ceo):
        with pytest.raises(ApprovalError, match="Only the person this request was sent to, or their delegate"):
            service.decline(db.session, request, outsider, "Not mine to decide")
    service.set_delegate(db.session, trust.manager, trust.colleague, today(), today() + timedelta(days=1))
    assert service.may_decide(db.session, trust.colleague, request)
    service.decline(db.session, request, trust.colleague, "Decided as delegate")
    assert request.events[-1].actor_id == trust.colleague.id


def test_a_delegation_outside_its_dates_gives_no_right(trust):
    request = business_use(trust.teacher)
    db.session.add(Delegation(approver_id=trust.manager.id, delegate_id=trust.colleague.id,
                              starts_on=today() - timedelta(days=10), ends_on=today() - timedelta(days=1)))
    db.session.flush()
    assert not service.may_decide(db.session, trust.colleague, request)


def test_only_the_requester_withdraws_or_marks_answered(trust):
    request = business_use(trust.teacher)
    with pytest.raises(ApprovalError, match="Only the person who made this request can do that."):
        service.withdraw(db.session, request, trust.manager)


def test_the_actions_offered_are_exactly_the_allowed_moves(trust):
    request = business_use(trust.teacher)
    assert service.actions_for(db.session, trust.manager, request) == ["require_training", "approve", "decline"]
    assert service.actions_for(db.session, trust.teacher, request) == ["withdraw"]
    assert service.actions_for(db.session, trust.head, request) == []


# --- two managers at once -----------------------------------------------------------------

def test_two_deciders_at_once_end_with_one_decision_and_a_clear_message(app, trust):
    request = business_use(trust.teacher)
    service.set_delegate(db.session, trust.manager, trust.colleague, today(), today() + timedelta(days=3))
    db.session.commit()
    request_id = request.id
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def decide(who_id: int, how: str):
        with app.app_context(), Session(db.engine) as session:
            mine = session.get(Request, request_id)
            actor = session.get(type(trust.manager), who_id)
            mine.state  # noqa: B018 - load the state this decider "saw" before deciding
            barrier.wait()
            try:
                if how == "approve":
                    service.approve(session, mine, actor, SETTINGS, expires_on=today() + timedelta(days=30))
                else:
                    service.decline(session, mine, actor, "Declined at the same moment")
                session.commit()
                outcomes[how] = "won"
            except ApprovalError as exc:
                session.rollback()
                outcomes[how] = str(exc)

    threads = [threading.Thread(target=decide, args=(trust.manager.id, "approve")),
               threading.Thread(target=decide, args=(trust.colleague.id, "decline"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(v == "won" for v in outcomes.values()) == [False, True], outcomes
    loser = next(v for v in outcomes.values() if v != "won")
    assert "changed this request a moment ago" in loser or "can no longer be" in loser
    db.session.expire_all()
    final = db.session.get(Request, request_id)
    assert final.state in (S.approved, S.declined)
    assert [e.to_state for e in final.events] == ["submitted", final.state.value]


def test_kind_labels_cover_every_kind():
    assert {k.label for k in RequestKind} and all(k.label for k in RequestKind)
