"""The `approvals` blueprint; its routes are added by `views.py`, `register_views.py`, and the app factory registers it."""

from flask import Blueprint

bp = Blueprint("approvals", __name__)
