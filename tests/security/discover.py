"""Find every form class in lms/ and the fields on it, without a request or a database."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.fields.core import UnboundField
from wtforms.validators import Length

import lms


def _import_everything() -> None:
    for module in pkgutil.walk_packages(lms.__path__, "lms."):
        importlib.import_module(module.name)


def form_classes() -> list[type[FlaskForm]]:
    """Every FlaskForm subclass defined in lms/, sorted by name (imports every module first)."""
    _import_everything()
    found: set[type[FlaskForm]] = set()
    pending = [FlaskForm]
    while pending:
        for sub in pending.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                pending.append(sub)
    return sorted((c for c in found if c.__module__.startswith("lms.")), key=lambda c: c.__name__)


@dataclass(frozen=True)
class FieldInfo:
    form: type[FlaskForm]
    name: str
    unbound: UnboundField

    @property
    def key(self) -> str:
        return f"{self.form.__name__}.{self.name}"

    @property
    def field_class(self) -> type:
        return self.unbound.field_class

    @property
    def is_text(self) -> bool:
        """Typed by a person as free text (StringField and its kinds: textarea, email, URL, password)."""
        return issubclass(self.field_class, StringField)

    @property
    def is_password(self) -> bool:
        return issubclass(self.field_class, PasswordField)

    @property
    def validators(self) -> list:
        if "validators" in self.unbound.kwargs:
            return list(self.unbound.kwargs["validators"] or [])
        return list(self.unbound.args[1]) if len(self.unbound.args) > 1 else []

    @property
    def max_length(self) -> int | None:
        limits = [v.max for v in self.validators if isinstance(v, Length) and v.max is not None and v.max >= 0]
        return min(limits) if limits else None


def fields_of(form: type[FlaskForm]) -> list[FieldInfo]:
    """The fields a form class declares (its own and inherited), in declaration order."""
    found = [FieldInfo(form, name, value) for name in dir(form)
             if isinstance(value := getattr(form, name, None), UnboundField)]
    return sorted(found, key=lambda f: f.unbound.creation_counter)
