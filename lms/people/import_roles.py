"""Saving a staff file, step 3 (only when it has a role column): everyone listed gets exactly their row's roles.

All current roles are read in one query and the difference written in bulk. The admin running the
import keeps their own admin role even if their row drops it, so an import cannot lock out the
last person able to undo it; the notes say so.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from lms.models import PersonRole, Role
from lms.people.batches import chunks
from lms.people.row_check import StaffRow

RoleChange = tuple[int, list[str], list[str]]  # (person id, roles added, roles removed)


def set_roles(session: Session, rows: Sequence[StaffRow], ids: Mapping[str, int], me: str | None,
              notes: list[str]) -> list[RoleChange]:
    """Give everyone in the file exactly the roles their row lists; returns (person id, added, removed) per change."""
    current: dict[int, dict[Role, int]] = defaultdict(dict)
    for role_id, person_id, role in session.execute(select(PersonRole.id, PersonRole.person_id, PersonRole.role)):
        current[person_id][role] = role_id
    to_add: list[dict] = []
    to_remove: list[int] = []
    changed: list[RoleChange] = []
    for r in rows:
        pid = ids[r.email]
        have = current.get(pid, {})
        want = set(r.roles)
        if r.email == me and Role.admin in have and Role.admin not in want:
            want.add(Role.admin)
            notes.append(f"Row {r.row}: you kept your own admin role; another admin can remove it.")
        added, removed = sorted(want - set(have)), sorted(role for role in have if role not in want)
        to_add.extend({"person_id": pid, "role": role} for role in added)
        to_remove.extend(have[role] for role in removed)
        if added or removed:
            changed.append((pid, [role.value for role in added], [role.value for role in removed]))
    for chunk in chunks(to_remove):
        session.execute(delete(PersonRole).where(PersonRole.id.in_(chunk)).execution_options(synchronize_session=False))
    if to_add:
        session.execute(insert(PersonRole), to_add)
    return changed
