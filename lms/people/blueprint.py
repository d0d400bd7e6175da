"""The `people` blueprint; its routes are added by `views.py`, `subject_access_views.py`, and the app factory registers it."""

from flask import Blueprint

bp = Blueprint("people", __name__)
