from flask import Response, abort, redirect, render_template, request, url_for

from lms.access import allowed, require
from lms.audit import web as audit
from lms.certificates import pdf, service
from lms.certificates.blueprint import bp
from lms.clock import today
from lms.extensions import db, limiter
from lms.records.settings import app_settings as record_settings


@bp.get("/certificates/<code>.pdf")
@allowed("training.take")
@limiter.limit("30 per minute")  # laying out a PDF costs time, and the answer tells a code exists
def download(code: str):
    """The owner's certificate: 404 for an unknown code, 403 for someone else's."""
    attempt = service.find_by_code(db.session, service.normalise_code(code)) or abort(404)
    require("certificate.own", attempt)
    body = pdf.certificate_pdf(attempt)
    audit.exported("certificate", subject_id=attempt.person_id, object_type="attempt", object_id=attempt.id,
                   format="pdf")
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{service.certificate_filename(attempt)}"',
        "Cache-Control": "no-store",
    })


@bp.get("/verify")
def verify_form():
    """Type a code from a printed certificate; a GET form, so there is nothing to forge."""
    if "code" in request.args:
        code = service.normalise_code(request.args["code"])
        if code:
            return redirect(url_for("certificates.verify", code=code))
    return render_template("certificates/verify_form.html", empty="code" in request.args)


@bp.get("/verify/<code>")
@limiter.limit("30 per minute")  # codes are long, but guessing should still be slow
def verify(code: str):
    """Public: genuine and current? Shows the name, the module and the dates, nothing more."""
    attempt = service.find_by_code(db.session, service.normalise_code(code))
    if attempt is None:
        response = Response(render_template("certificates/not_found.html"), status=404)
    else:
        result = service.verification(db.session, attempt, today(), record_settings())
        response = Response(render_template("certificates/verify.html", result=result))
    response.headers["Cache-Control"] = "no-store"  # the answer changes as time passes
    response.headers["X-Robots-Tag"] = "noindex"
    return response
