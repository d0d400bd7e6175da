"""Requests of every kind in every state, with the events the state machine would have recorded:
business use, media enquiries, references and misuse reports.

Every state comes first in each kind's turn of states, so even a small trust shows each one;
later requests follow the usual mix. The business-use module's training (lms/generate/history.py)
is planned to fit the state its request is in: an approval rests on a pass.
"""

from __future__ import annotations

import json
from datetime import date

from lms.generate import names
from lms.generate.options import Options
from lms.generate.people import Member
from lms.generate.rows import DAY, Rows
from lms.generate.writer import TABLES

# Requests: how many per person, and the states they are found in (every state comes first,
# so even a small trust shows each one; later requests follow the usual mix).
REQUEST_RATES = {"business_use": 0.015, "media_enquiry": 0.004, "reference": 0.01, "misuse_report": 0.006}
# How long ago a business-use request in each state was made: an approval must rest on a pass that is
# still current, a lapse needs time for its review date to pass.
BUSINESS_DAYS_AGO = {"submitted": (1, 10), "training_required": (10, 60), "approved": (40, 250),
                     "revoked": (90, 300), "lapsed": (220, 330)}
REQUEST_STATES = {
    "business_use": ("approved", "submitted", "training_required", "declined", "revoked", "lapsed", "withdrawn",
                     "approved", "approved", "training_required", "submitted", "approved", "declined"),
    "media_enquiry": ("answered", "submitted", "approved", "declined", "withdrawn", "answered", "approved"),
    "reference": ("approved", "submitted", "declined", "withdrawn", "approved", "approved"),
    "misuse_report": ("closed", "submitted", "closed"),
}


class Events:
    """A request's events as the state machine records them: (actor, day, from state, to state, note)."""

    def __init__(self, rows: Rows, requester: int, submitted: int) -> None:
        self.rng, self.T = rows.rng, rows.T
        self.day = submitted
        self.list: list[tuple[int | None, int, str | None, str, str]] = [(requester, submitted, None, "submitted", "")]

    def move(self, actor: int | None, to: str, note: str = "", after: int | None = None) -> None:
        """The next event, a few days after the last (or on the day `after`), and never later than yesterday."""
        self.day = after if after is not None else min(self.day + self.rng.randint(1, 5), self.T - 1)
        self.list.append((actor, self.day, self.list[-1][3], to, note))


class Requests:
    def __init__(self, rows: Rows, options: Options, has_business_module: bool) -> None:
        self.rows = rows
        self.rng = rows.rng
        self.T = rows.T
        self.has_business_module = has_business_module
        self.quota = dict.fromkeys(REQUEST_RATES, 0.0)
        self.per_person = {k: max(len(set(REQUEST_STATES[k])), round(r * options.people)) / options.people
                           for k, r in REQUEST_RATES.items()}
        self.turn = dict.fromkeys(REQUEST_RATES, 0)

    def assign(self, team: list[Member]) -> None:
        """Exactly the planned number of requests of each kind, spread evenly over the trust."""
        for m in team:
            # Long enough in post for every state's dates to fit (a lapse takes most of a year).
            eligible = m.active and m.start_day < self.T - 400 and "ceo" not in m.roles
            for kind in REQUEST_RATES:
                self.quota[kind] += self.per_person[kind]
                if eligible and self.quota[kind] >= 1 and (kind != "business_use" or self.has_business_module):
                    self.quota[kind] -= 1
                    m.requests.append(kind)

    def _next_state(self, kind: str) -> str:
        state = REQUEST_STATES[kind][self.turn[kind] % len(REQUEST_STATES[kind])]
        self.turn[kind] += 1
        return state

    def business_request(self, m: Member) -> tuple[str, int]:
        """The state this person's business-use request is in and the day it was made, decided before
        their training for the module, which has to fit it."""
        state = self._next_state("business_use")
        return state, max(self.T - self.rng.randint(*BUSINESS_DAYS_AGO.get(state, (5, 300))), m.start_day + 1)

    def request(self, unit_id: int, m: Member, kind: str, team: dict[int, Member], ceo_id: int) -> None:
        """One request and its events. A business-use request's state and day were decided with its training."""
        rng, T = self.rng, self.T
        head = next((p.id for p in team.values() if "headteacher" in p.roles), None)
        head_or_ceo = head if head is not None and head != m.id else ceo_id
        manager = team.get(m.manager_id)
        if kind == "business_use":
            state, submitted, _ = m.business
            approver = m.manager_id if m.manager_id is not None and (manager is None or manager.active) else head_or_ceo
        else:
            state = self._next_state(kind)
            submitted = max(m.start_day + 1, T - (rng.randint(1, 12) if state == "submitted" else rng.randint(15, 330)))
            approver = head_or_ceo
        fields = dict.fromkeys(TABLES["requests"])
        fields["withhold_name"] = False
        request_id = self.rows.id("requests")
        events = Events(self.rows, m.id, submitted)
        kinds = {"business_use": self._business_use, "media_enquiry": self._media_enquiry,
                 "reference": self._reference, "misuse_report": self._misuse_report}
        approver = kinds[kind](fields, events, m, state, approver, ceo_id)
        self._write(fields, events, request_id, kind, state, m, approver, unit_id, submitted)

    def _write(self, fields: dict, events: Events, request_id: int, kind: str, state: str, m: Member,
               approver: int | None, unit_id: int, submitted: int) -> None:
        rows = self.rows
        hours = self.rng.randint(8 * 3600, 17 * 3600)
        fields.update(id=request_id, kind=kind, state=state, requester_id=m.id, approver_id=approver, unit_id=unit_id,
                      line_manager_id=m.manager_id, created_at=rows.ts(submitted * DAY + hours),
                      updated_at=rows.ts(events.list[-1][1] * DAY + hours + 60 * len(events.list)))
        rows.buf["requests"].append(tuple(fields[c] for c in TABLES["requests"]))
        for n, (actor, d, from_state, to_state, note) in enumerate(events.list):
            rows.buf["request_events"].append((rows.id("request_events"), request_id, actor,
                                               rows.ts(d * DAY + hours + 60 * n), from_state, to_state, note))

    # --- each kind's fields and events: each returns the approver ------------------------------------

    def _business_use(self, fields: dict, events: Events, m: Member, state: str, approver: int | None,
                      ceo_id: int) -> int | None:
        rng, T, day = self.rng, self.T, self.rows.day
        _, submitted, track = m.business
        starts = submitted + rng.randint(0, 14)
        fields.update(accounts=rng.choice(names.ACCOUNTS), platforms=_json(sorted(rng.sample(names.PLATFORMS, 2))),
                      purpose=rng.choice(names.PURPOSES), starts_on=day(starts),
                      ends_on=None if rng.random() < 0.5 else day(starts + rng.randint(90, 700)))
        passed = track.passed
        if state == "training_required" or (state in ("approved", "revoked", "lapsed") and rng.random() < 0.5):
            events.move(approver, "training_required", "Please take the business-use module first.")
        if state in ("approved", "revoked", "lapsed"):
            approved_day = min(max(events.day + 1, passed[2] // DAY + rng.randint(0, 4)), T - 1)
            events.move(approver, "approved", "", after=approved_day)
            expires = (T + rng.randint(20, 300) if state != "lapsed"
                       else min(approved_day + rng.randint(20, 60), T - 2))
            fields.update(conditions=rng.choice(names.CONDITIONS),
                          condition_flags=_json(sorted(rng.sample(names.CONDITION_FLAGS, 2))),
                          expires_on=day(expires), training_attempt_id=passed[0])
            if state == "revoked":
                events.move(approver, "revoked", rng.choice(names.REVOKE_REASONS))
            elif state == "lapsed":
                d = date.fromordinal(expires)
                events.move(None, "lapsed", f"Lapsed: its review or expiry date ({d.day} {d:%b %Y}) has passed.",
                            after=expires + 1)
        elif state == "declined":
            events.move(approver, "declined", rng.choice(names.DECLINE_REASONS))
        elif state == "withdrawn":
            events.move(m.id, "withdrawn")
        return approver

    def _media_enquiry(self, fields: dict, events: Events, m: Member, state: str, approver: int | None,
                       ceo_id: int) -> int | None:
        rng = self.rng
        fields.update(enquirer=rng.choice(names.ENQUIRERS), outlet=rng.choice(names.OUTLETS),
                      question=rng.choice(names.QUESTIONS), deadline=self.rows.day(events.day + rng.randint(1, 10)))
        if state in ("approved", "answered"):
            fields["approved_response"] = rng.choice(names.RESPONSES)
            events.move(approver, "approved")
            if state == "answered":
                events.move(m.id, "answered", "Response given as approved.")
        else:
            self._decline_or_withdraw(events, m, state, approver)
        return approver

    def _reference(self, fields: dict, events: Events, m: Member, state: str, approver: int | None,
                   ceo_id: int) -> int | None:
        rng = self.rng
        fields.update(subject_name=f"{rng.choice(names.FIRST_NAMES)} {rng.choice(names.LAST_NAMES)}",
                      reference_for=rng.choice(names.REFERENCE_FOR), draft=rng.choice(names.DRAFTS))
        if state == "approved":
            events.move(approver, "approved")
        else:
            self._decline_or_withdraw(events, m, state, approver)
        return approver

    def _decline_or_withdraw(self, events: Events, m: Member, state: str, approver: int | None) -> None:
        if state in ("declined", "withdrawn"):
            events.move(approver if state == "declined" else m.id, state,
                        self.rng.choice(names.DECLINE_REASONS) if state == "declined" else "")

    def _misuse_report(self, fields: dict, events: Events, m: Member, state: str, approver: int | None,
                       ceo_id: int) -> int | None:
        rng = self.rng
        if rng.random() < 0.2 and m.id != ceo_id:
            approver = ceo_id  # the reporter chose the CEO
        description = rng.choice(names.MISUSE_DESCRIPTIONS)
        link = None if description and rng.random() < 0.4 else \
            f"{rng.choice(names.MISUSE_LINKS)}{rng.randint(10**9, 10**10)}"
        fields.update(link=link, description=description, withhold_name=rng.random() < 0.3)
        if state == "closed":
            outcome = rng.choice(names.OUTCOMES)
            fields["outcome"] = outcome
            events.move(approver, "closed", outcome)
        return approver


def _json(values: list[str]) -> str:
    return json.dumps(values)
