"""A read-only JSON API over the dashboards' figures, with personal tokens (issue 6)."""

from lms.api.account import bp as account_bp
from lms.api.views import bp

__all__ = ["account_bp", "bp"]
