"""Staff records kept in line with the trust's staff list: the CSV import (CLI and admin page)."""

from lms.people.views import bp

__all__ = ["bp"]
