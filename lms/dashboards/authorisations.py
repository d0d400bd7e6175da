"""Business-use (policy 5.1) authorisations of the people in a view, by their state today.

One GROUP BY statement over the requests (or the kept request counts): the rows returned are the
states, never people. The module and date filters do not apply (a request is not about a module).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.dashboards import kept_counts, kept_reads
from lms.dashboards.scope import Filters, Scope
from lms.models import Person, Request, RequestKind, RequestState
from lms.records.settings import RecordSettings


@dataclass(frozen=True)
class StateRow:
    state: RequestState
    requests: int
    people: int

    @property
    def label(self) -> str:
        return self.state.label


BUSINESS_USE_STATES = (RequestState.submitted, RequestState.training_required, RequestState.approved,
                       RequestState.declined, RequestState.revoked, RequestState.lapsed, RequestState.withdrawn)


def authorisations_by_state(session: Session, scope: Scope, filters: Filters, today: date,
                            settings: RecordSettings) -> list[StateRow]:
    """Business-use (5.1) requests of people in the scope, unit and staff type filters, by their state now.

    Every business-use state is returned, with 0 where there are none. Views of whole units read the
    kept counts (refreshed first).
    """
    if kept_reads.covers(scope):
        kept_counts.refresh(session, today, settings)
        found = {RequestState(s): counts
                 for s, counts in kept_reads.requests_by_state(session, scope, filters).items()}
    else:
        found = requests_from_records(session, scope, filters)
    states = list(BUSINESS_USE_STATES) + [s for s in found if s not in BUSINESS_USE_STATES]
    return [StateRow(s, *found.get(s, (0, 0))) for s in states]


def requests_from_records(session: Session, scope: Scope, filters: Filters) -> dict[RequestState, tuple[int, int]]:
    """State -> (requests, people) counted from every request in the view (the kept counts' reference)."""
    query = (select(Request.state, func.count().label("requests"),
                    func.count(func.distinct(Request.requester_id)).label("people"))
             .join(Person, Person.id == Request.requester_id)
             .where(Request.kind == RequestKind.business_use, scope.people_filter())
             .group_by(Request.state))
    if filters.unit_id is not None:
        query = query.where(Person.unit_id == filters.unit_id)
    if filters.staff_type is not None:
        query = query.where(Person.staff_type == filters.staff_type)
    return {RequestState(s): (n, p) for s, n, p in session.execute(query)}
