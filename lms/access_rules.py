"""The access rules that need nothing but the person and the object: no Flask, no database.

`lms.access` is the one mechanism that asks them (with `can`, `require`, `allowed`, `fetch`),
together with the rules that need facts from the services (a manager's team, who stands in for
an approver). They live here, below the services, so a service that narrows what a viewer sees
(`dashboards.scope`, `team.service`, the register) can ask `sees_trust`/`sees_unit` without
importing `lms.access`, which imports those services for its facts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lms.models import ApiToken, Attempt, Person, Role

Rule = Callable[[Person, Any], bool]
RULES: dict[str, Rule] = {}


def pure_rule(name: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        RULES[name] = fn
        return fn
    return register


@pure_rule("training.take")
def _take_training(person: Person, _: Any) -> bool:
    return person.active


@pure_rule("attempt.own")
def _own_attempt(person: Person, attempt: Attempt) -> bool:
    return attempt.person_id == person.id


@pure_rule("certificate.own")
def _own_certificate(person: Person, attempt: Attempt) -> bool:
    """A certificate (a passed attempt) is downloaded only by the person who earned it."""
    return attempt.person_id == person.id


TRUST_WIDE = frozenset({Role.trust_lead, Role.ceo})


def sees_trust(person: Person) -> bool:
    """Trust leads and the CEO see every unit's figures and register (dashboards, API, register)."""
    return person.active and bool(person.role_set & TRUST_WIDE)


PRIVILEGED = frozenset({Role.admin, Role.trust_lead, Role.ceo})


def needs_second_factor(person: Person) -> bool:
    """Admins, trust leads and the CEO who sign in with a password also give a code from an app (issue 16)."""
    return person.active and bool(person.role_set & PRIVILEGED)


def sees_unit(person: Person) -> bool:
    """A headteacher sees their own unit (team view, dashboards, API, register)."""
    return person.active and person.has_role(Role.headteacher)


pure_rule("scope.trust")(lambda person, _: sees_trust(person))
pure_rule("scope.unit")(lambda person, _: sees_unit(person))


@pure_rule("library.review")
def _review_library(person: Person, _: Any) -> bool:
    """Trust leads (and the CEO) review what staff are taught and the contests raised."""
    return bool(person.role_set & TRUST_WIDE)


@pure_rule("people.import")
def _import_people(person: Person, _: Any) -> bool:
    """Admins keep the staff list in line with the trust's records."""
    return person.active and person.has_role(Role.admin)


@pure_rule("people.subject_access")
def _subject_access(person: Person, _: Any) -> bool:
    """Admins answer subject access requests: everything stored about one person, as JSON and CSV."""
    return person.active and person.has_role(Role.admin)


@pure_rule("person.remind")
def _remind_person(person: Person, target: Person) -> bool:
    """A line manager reminds a direct report; a headteacher anyone active in their unit; never oneself."""
    if target is None or target.id == person.id or not target.active:
        return False
    if target.line_manager_id == person.id:
        return True
    return person.has_role(Role.headteacher) and target.unit_id == person.unit_id


@pure_rule("mail.outbox")
def _mail_outbox(person: Person, _: Any) -> bool:
    """Admins and trust leads, who run the system, see the mail backlog and dead letters and retry them."""
    return person.active and bool(person.role_set & {Role.admin, Role.trust_lead})


@pure_rule("requests.register")
def _view_register(person: Person, _: Any) -> bool:
    """The register of business-use authorisations (5.1): headteachers their unit, trust leads and the CEO all."""
    return person.active and bool(person.role_set & {Role.headteacher, Role.trust_lead, Role.ceo})


@pure_rule("requests.use")
def _use_requests(person: Person, _: Any) -> bool:
    """Any active member of staff makes requests (5.1, 5.2, 2.2/2.3, 4.5/6.5) and sees their own."""
    return person.active


@pure_rule("token.own")
def _own_token(person: Person, token: ApiToken) -> bool:
    """A token is listed and revoked by its owner alone."""
    return token.person_id == person.id


@pure_rule("session.own")
def _own_session(person: Person, web_session: Any) -> bool:
    """A signed-in session is listed and ended by its owner alone."""
    return web_session.person_id == person.id


@pure_rule("account.manage")
def _manage_account(person: Person, _: Any) -> bool:
    """Everyone active looks after their own sign-in (changing their password)."""
    return person.active


@pure_rule("delegation.end")
def _end_delegation(person: Person, delegation: Any) -> bool:
    """A delegation is ended early by the approver who made it, or given up by the delegate; nobody else."""
    return delegation is not None and person.id in (delegation.approver_id, delegation.delegate_id)
