"""Public notices: the privacy notice and the accessibility statement."""

from lms.notices.views import bp

__all__ = ["bp"]
