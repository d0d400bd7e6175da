"""The content library for trust leads: clause coverage, every scenario in full, contests."""

from lms.library.views import bp

__all__ = ["bp"]
