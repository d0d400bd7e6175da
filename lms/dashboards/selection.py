"""What a dashboard URL asks for: the viewer's scope (?scope=) and the checked filters.

Both pages read the URL through `selection()`, so one URL means the same selection on the
completion and the understanding page. This is the views' parsing step, kept out of the view
modules so that neither page's views import the other's.

A selection with any problem is not shown at all: the page answers 400 with the problems and the
filter form (`refused` for a CSV download), rather than figures for some other selection than the
one asked for, so a bad value never reaches the measures (`periods.training_year` and the week
arithmetic work only on the dates lms.query_params lets through).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response, request
from flask_login import current_user

from lms.access import dashboard_scopes
from lms.dashboards import choices
from lms.dashboards.scope import Filters, Scope, trust_wide
from lms.extensions import db
from lms.query_params import QueryArgs, parameter_of, said, shown

# The filters that have a field in the form, so a problem can lead to it (the unit's only in views of many units).
FIELDS = ("unit", "staff_type", "module", "from", "to")


@dataclass(frozen=True)
class Selection:
    scopes: list[Scope]
    index: int              # which of the viewer's scopes (?scope=, default 0: the widest)
    filters: Filters        # checked: nothing this viewer may not ask for
    problems: list[str]     # each names the filter it is about: nothing is shown while there is one
    options: choices.Options

    @property
    def scope(self) -> Scope:
        return self.scopes[self.index]

    def args(self, **changes: object) -> dict[str, str]:
        """The query string of this view (scope only when it is not the default), with changes."""
        args = ({"scope": str(self.index)} if self.index else {}) | self.filters.as_args()
        for key, value in changes.items():
            if value is None:
                args.pop(key, None)
            else:
                args[key] = str(value)
        return args

    def problem_links(self, has_unit_field: bool) -> list[tuple[str | None, str]]:
        """(id of the field to correct, or None; the problem as a sentence) for the page's error summary."""
        fields = FIELDS if has_unit_field else FIELDS[1:]
        return [(name if (name := parameter_of(p)) in fields else None, said(p)) for p in self.problems]

    @property
    def unit_name(self) -> str | None:
        return self.options.unit_name(self.filters.unit_id)

    @property
    def module_title(self) -> str | None:
        return self.options.module_title(self.filters.module)


def selection() -> Selection:
    scopes = dashboard_scopes(current_user)
    query = QueryArgs(request.args)
    index = 0
    wanted = query.one("scope")
    if wanted:
        if wanted.isascii() and wanted.isdigit() and len(wanted) <= 3 and int(wanted) < len(scopes):
            index = int(wanted)
        else:
            query.problem("scope", f"{shown(wanted)} is not one of the views you may see"
                          + ("; choose one of those above" if len(scopes) > 1 else ""))
    typed = query.text("unit_name", choices.UNIT_NAME_MAX)
    filters, found = Filters.from_args(request.args)
    problems = query.problems + found
    if "unit_name" in request.args and trust_wide(scopes[index]):  # the field of a view of many units
        filters, found = choices.unit_by_name(db.session, filters, typed or "")
        problems += found
    options = choices.filter_options(db.session, scopes[index], filters.unit_id)
    filters, found = choices.check_filters(filters, scopes[index], options)
    return Selection(scopes, index, filters, problems + found, options)


def refused(chosen: Selection) -> Response:
    """A CSV download asked with bad filters: 400 and the problems in plain text, one a line."""
    lines = ["This download was not made: its filters could not be used.", *(said(p) for p in chosen.problems)]
    return Response("\n".join(lines) + "\n", status=400, mimetype="text/plain",
                    headers={"Cache-Control": "no-store"})
