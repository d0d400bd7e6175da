"""The privacy notice (/privacy) and the accessibility statement (/accessibility): public, linked in every footer.

Both read the settings they quote (retention period, session time-out, contact) from the app's
config, so the pages never disagree with what the app does. `WHO_SEES` names the access rules
(lms/access.py) behind each line of "who sees it"; a test holds it to the rules that exist.
"""

from __future__ import annotations

from flask import current_app, render_template

from lms.notices.blueprint import bp

# (who, what they see, the lms.access rules that decide it)
WHO_SEES: list[tuple[str, str, tuple[str, ...]]] = [
    ("You", "Your own training, answers, results, certificates and requests.",
     ("training.take", "attempt.own", "certificate.own", "requests.use")),
    ("Your line manager", "Your training standing in each module (not your answers), and can send you a reminder.",
     ("team.view", "team.scope", "person.remind", "dashboards.view")),
    ("Your headteacher", "The training standing of everyone in your school, the school's figures, and the register "
                         "of business-use approvals for your school.",
     ("team.view", "team.scope", "scope.unit", "requests.register", "dashboards.view")),
    ("Trust leads and the Chief Executive Officer",
     "Trust-wide figures (small groups are never shown in views across units), the trust-wide register, "
     "and the reasons given when staff contest an answer, with the name of the person who raised it.",
     ("scope.trust", "dashboards.view", "requests.register", "library.review")),
    ("Whoever decides your request", "The request you sent them (the person it was routed to, and a colleague they "
                                     "have named to stand in for them while it lasts).",
     ("request.view", "requests.delegate")),
    ("Reporting tools run by your managers", "The same figures and team records as their dashboards, through a "
                                              "personal API token.",
     ("api.tokens", "api.read")),
    ("Administrators", "The staff list they import, and everything held about a person when answering a subject "
                       "access request.",
     ("people.import", "people.subject_access")),
    ("Anyone with your certificate's code", "That the certificate is genuine and current: your name, the module and "
                                            "the dates, nothing more.", ()),
]


@bp.get("/privacy")
def privacy():
    config = current_app.config
    months = int(config["RETENTION_MONTHS"])
    return render_template("notices/privacy.html", who_sees=WHO_SEES, retention_months=months,
                           retention_years=months / 12, contact=config["PRIVACY_CONTACT"],
                           min_group=int(config.get("MIN_GROUP_SIZE", 5)))


@bp.get("/accessibility")
def accessibility():
    config = current_app.config
    return render_template("notices/accessibility.html", contact=config["PRIVACY_CONTACT"],
                           idle_minutes=config.get("SESSION_IDLE_MINUTES"))
