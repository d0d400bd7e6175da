"""Signing in and out."""

from lms.auth.views import bp

__all__ = ["bp"]
