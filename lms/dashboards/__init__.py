"""Completion and understanding across the trust: SQL aggregates, plotly charts, CSV, a read API."""

from lms.dashboards.views import bp

__all__ = ["bp"]
