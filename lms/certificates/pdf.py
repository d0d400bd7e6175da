"""The certificate as a PDF: templates/certificates/certificate.html laid out by WeasyPrint.

Everything the page needs is in the template (CSS included) and the fonts installed on the
machine (DejaVu, from fonts-dejavu-core): WeasyPrint is never allowed to fetch a URL.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from flask import current_app, render_template
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from lms.models import Attempt

logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # seven INFO lines per PDF otherwise


def verify_url(code: str) -> str:
    """Where anyone can check a certificate; printed on it, so built from the configured base URL."""
    base = current_app.config.get("APP_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    return f"{base}/verify/{code}"


def score_label(score: Decimal | None) -> str:
    """92% or 91.7%: a whole number when it is one, else one decimal place."""
    if score is None:
        return ""
    value = Decimal(score).quantize(Decimal("0.1"))
    return f"{value.normalize():f}%" if value == value.to_integral() else f"{value}%"


def certificate_html(attempt: Attempt) -> str:
    return render_template(
        "certificates/certificate.html", attempt=attempt, person=attempt.person,
        module_title=attempt.module_version.title, trust=attempt.policy_version.owner,
        policy=attempt.policy_version, score=score_label(attempt.score),
        passed_on=attempt.submitted_at.date(), valid_until=attempt.valid_until,
        code=attempt.certificate_code, verify_url=verify_url(attempt.certificate_code),
    )


class NoFetching(URLFetcher):
    """Refuses every URL (http, file, data alike): a certificate never reaches the network."""

    def fetch(self, url, headers=None):
        raise ValueError(f"certificates fetch nothing; refused {url[:80]!r}")


def render_pdf(html: str) -> bytes:
    return HTML(string=html, url_fetcher=NoFetching()).write_pdf()


def certificate_pdf(attempt: Attempt) -> bytes:
    return render_pdf(certificate_html(attempt))
