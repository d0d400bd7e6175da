"""Managers' team view: a line manager's reports, or a headteacher's unit, and their training."""
