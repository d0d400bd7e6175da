"""The bench's own accounts in a data set: `python -m bench.fixtures prepare` (DATABASE_URL names the database).

Picks a trust lead, a headteacher (of the largest school) and up to TAKERS active members of staff
from what was generated, gives them one known password, makes the trust lead an API token, and
prints the data set's counts and these accounts as JSON for bench/.cache/datasets.json.
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta

from sqlalchemy import func, select, update

from bench.common import BENCH_PASSWORD
from lms import create_app
from lms.api.tokens import create_token
from lms.auth.passwords import hash_password
from lms.clock import utcnow
from lms.extensions import db
from lms.models import Answer, Attempt, AuditEvent, ModuleProgress, Person, PersonRole, Role, Unit, UnitKind

TAKERS = 400  # enough for item 1's pool of attempts and item 4's 100 simultaneous staff


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def _with_role(role: Role, *, largest_unit: bool = False) -> Person:
    query = (select(Person).join(PersonRole, PersonRole.person_id == Person.id)
             .where(PersonRole.role == role, Person.active))
    if largest_unit:
        sizes = (select(Person.unit_id, func.count().label("n")).where(Person.active)
                 .group_by(Person.unit_id).subquery())
        query = query.join(sizes, sizes.c.unit_id == Person.unit_id).order_by(sizes.c.n.desc(), Person.id)
    else:
        query = query.order_by(Person.id)
    person = db.session.scalars(query.limit(1)).first()
    if person is None:
        raise SystemExit(f"the data set has no active {role.value}: the bench needs one")
    return person


def prepare() -> dict:
    lead = _with_role(Role.trust_lead)
    head = _with_role(Role.headteacher, largest_unit=True)
    with_roles = select(PersonRole.person_id)
    takers = list(db.session.scalars(
        select(Person.id).join(Unit, Unit.id == Person.unit_id)
        .where(Person.active, Person.id.not_in(with_roles), Unit.kind == UnitKind.school)
        .order_by(Person.id).limit(TAKERS)))
    chosen = [lead.id, head.id, *takers]
    # Signed in a day ago at the latest: the sessions' "password changed since" check must not end them.
    db.session.execute(update(Person).where(Person.id.in_(chosen)).values(
        password_hash=hash_password(BENCH_PASSWORD), password_changed_at=utcnow() - timedelta(days=1)))
    _, token = create_token(db.session, lead, "bench")
    db.session.commit()
    emails = dict(db.session.execute(select(Person.id, Person.email).where(Person.id.in_(chosen))).all())
    return {
        "units": _count(Unit), "people": _count(Person), "module_progress": _count(ModuleProgress),
        "attempts": _count(Attempt), "answers": _count(Answer), "audit_events": _count(AuditEvent),
        "trust_lead": lead.email, "headteacher": head.email, "headteacher_unit_people": db.session.scalar(
            select(func.count()).select_from(Person).where(Person.unit_id == head.unit_id, Person.active)),
        "takers": [emails[i] for i in takers], "api_token": token,
    }


def main(argv: list[str]) -> None:
    if argv != ["prepare"]:
        raise SystemExit("usage: python -m bench.fixtures prepare")
    app = create_app()
    with app.app_context():
        print(json.dumps(prepare()))


if __name__ == "__main__":
    main(sys.argv[1:])
