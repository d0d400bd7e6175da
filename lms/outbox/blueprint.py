"""The `outbox` blueprint (/admin/mail); its routes are added by `views.py`, and the app factory registers it."""

from flask import Blueprint

bp = Blueprint("outbox", __name__)
