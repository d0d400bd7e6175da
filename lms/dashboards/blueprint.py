"""The `dashboards` blueprint; its routes are added by `views.py`, `completion_views.py` and
`understanding_views.py`, and the app factory registers it."""

from flask import Blueprint

bp = Blueprint("dashboards", __name__)
