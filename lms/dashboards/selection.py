"""What a dashboard URL asks for: the viewer's scope (?scope=) and the checked filters.

Both pages read the URL through `selection()`, so one URL means the same selection on the
completion and the understanding page. This is the views' parsing step, kept out of the view
modules so that neither page's views import the other's.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import request
from flask_login import current_user

from lms.access import dashboard_scopes
from lms.dashboards import choices
from lms.dashboards.scope import Filters, Scope, trust_wide
from lms.extensions import db


@dataclass(frozen=True)
class Selection:
    scopes: list[Scope]
    index: int              # which of the viewer's scopes (?scope=, default 0: the widest)
    filters: Filters        # checked: nothing this viewer may not ask for
    problems: list[str]     # each names the filter it is about
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

    @property
    def unit_name(self) -> str | None:
        return self.options.unit_name(self.filters.unit_id)

    @property
    def module_title(self) -> str | None:
        return self.options.module_title(self.filters.module)


def selection() -> Selection:
    scopes = dashboard_scopes(current_user)
    problems = []
    index = 0
    wanted = request.args.get("scope", "")
    if wanted:
        if wanted.isdigit() and int(wanted) < len(scopes):
            index = int(wanted)
        else:
            problems.append("scope: not one of the views you may see; showing the widest")
    filters, found = Filters.from_args(request.args)
    problems += found
    if "unit_name" in request.args and trust_wide(scopes[index]):  # the field of a view of many units
        filters, found = choices.unit_by_name(db.session, filters, request.args["unit_name"])
        problems += found
    options = choices.filter_options(db.session, scopes[index], filters.unit_id)
    filters, found = choices.check_filters(filters, scopes[index], options)
    return Selection(scopes, index, filters, problems + found, options)
