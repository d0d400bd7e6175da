"""The API's blueprints: `api` (the JSON figures, routes in `views.py`) and `api_tokens` (the page where
people make and revoke their tokens, routes in `account.py`); the app factory registers both."""

from flask import Blueprint

bp = Blueprint("api", __name__)
account_bp = Blueprint("api_tokens", __name__)
