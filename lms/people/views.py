"""The staff import page (`/people/import`): upload a CSV, see every problem or a summary.

Thin on purpose: the form is parsed, `allowed` asks access, `service.import_file` checks and
saves, and the page renders the outcome; the commit is here because the request is the unit of
work (the service never commits). A unique-email clash at commit means another import ran at
the same time, and nothing of this one is kept.
"""

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from lms.access import allowed
from lms.clock import today
from lms.extensions import db
from lms.people.blueprint import bp
from lms.people.forms import ImportForm
from lms.people.importer import COLUMNS, Problem, shown
from lms.people.service import DEFAULT_CENTRAL_UNIT, import_file
from lms.records.settings import app_settings as record_settings

PAGE_PROBLEMS = 500  # the command line lists every one
RACE = Problem(None, None, "the staff list changed while this file was being imported (another import?); "
                           "nothing was imported. Upload it again.")


def _limit() -> str:
    size = current_app.config["MAX_CONTENT_LENGTH"]
    return f"{size // (1024 * 1024)} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def _page(form: ImportForm, problems=(), status: int = 200):
    return render_template(
        "people/import.html", form=form, columns=COLUMNS, problems=problems[:PAGE_PROBLEMS],
        problem_count=len(problems), limit=_limit(),
    ), status


@bp.route("/import", methods=["GET", "POST"])
@allowed("people.import")
def import_staff():
    form = ImportForm()
    if not form.validate_on_submit():
        return _page(form, status=422 if form.errors else 200)
    upload = form.file.data
    try:
        staff, result = import_file(
            db.session, upload.read(), full=form.full.data, started_by=current_user._get_current_object(),
            source=f"upload: {shown(upload.filename or 'staff.csv', 200)}",
            settings=record_settings(), today=today(),
            central_unit_name=current_app.config.get("CENTRAL_UNIT_NAME", DEFAULT_CENTRAL_UNIT),
        )
        if result is None:
            return _page(form, staff.problems, 422)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return _page(form, (RACE,), 409)
    flash(result.summary(), "info")
    for line in result.details(staff.ignored):
        flash(line, "info")
    return redirect(url_for("people.import_staff"))


@bp.errorhandler(413)
def too_large(error):
    problem = Problem(None, None, f"the file is larger than {_limit()}, the most this page accepts. Split it, "
                                  "or ask whoever runs the server to use: flask --app wsgi staff import FILE.csv")
    return _page(ImportForm(formdata=None), (problem,), 413)
