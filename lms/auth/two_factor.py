"""PLACEHOLDER, replaced by the two-factor work of issue 16 (lms/auth/two_factor.py)."""

from flask import Response

from lms.models import Person


def required_for(person: Person) -> bool:
    return False


def begin(person: Person, next_url: str) -> Response:
    raise NotImplementedError
