"""The required (person, module) rows of a view: where every count from the records starts.

Completion, team records, first passes and scores counted from the records all begin with
this FROM and WHERE over module_progress (the per-person, per-module summary), so one view
means the same people and modules in each of them.
"""

from __future__ import annotations

from sqlalchemy import Select, select

from lms.dashboards.scope import Filters, Scope
from lms.models import Module, ModuleProgress, Person


def required_rows(scope: Scope, filters: Filters) -> Select:
    """FROM module_progress (required) JOIN people JOIN modules, limited to the scope and filters."""
    query = (select().select_from(ModuleProgress)
             .join(Person, Person.id == ModuleProgress.person_id)
             .join(Module, Module.id == ModuleProgress.module_id)
             .where(ModuleProgress.required, scope.people_filter()))
    if filters.unit_id is not None:
        query = query.where(Person.unit_id == filters.unit_id)
    if filters.staff_type is not None:
        query = query.where(Person.staff_type == filters.staff_type)
    if filters.module:
        query = query.where(Module.slug == filters.module)
    return query
