"""Signing in and out, setting passwords, and how long a session lasts."""

from lms.auth.views import bp

__all__ = ["bp"]
