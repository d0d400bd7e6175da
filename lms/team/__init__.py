"""Managers' team view: a line manager's reports, or a headteacher's unit, and their training."""

from lms.team.views import bp

__all__ = ["bp"]
