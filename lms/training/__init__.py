"""Staff training: my modules, taking a module, feedback and results."""

from lms.training.views import bp

__all__ = ["bp"]
