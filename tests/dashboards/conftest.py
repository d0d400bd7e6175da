"""The small trust of test_pages.py, for every dashboard test."""

from tests.dashboards.test_pages import modules, trust, two_modules  # noqa: F401 - fixtures
