"""The `notices` blueprint; its routes are added by `views.py`, and the app factory registers it."""

from flask import Blueprint

bp = Blueprint("notices", __name__)
