"""Where to send someone after signing in: only this site's own pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import url_for


def safe_next(target: str | None) -> str:
    """Only same-site paths; anything else goes to the home page."""
    if not target:
        return url_for("training.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("training.index")
    return target
