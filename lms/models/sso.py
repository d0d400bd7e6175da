"""Single sign-on links: which account at which provider is which person (issue 16).

The first time someone signs in with a provider, their verified email finds them in the staff
list and the provider's subject id (Entra's `oid`, else the `sub` claim) is written here. From
then on that subject id alone decides who they are: a later change of email at the provider
cannot carry the account into another person's record, and another provider account that
claims the same email cannot take over someone already linked.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.extensions import db
from lms.models.column_types import UTCDateTime

PROVIDER_ID_MAX = 32
SUBJECT_MAX = 255  # OpenID Connect: a subject identifier is at most 255 ASCII characters


class SsoLink(db.Model):
    __tablename__ = "sso_links"
    __table_args__ = (
        UniqueConstraint("provider", "subject", name="uq_sso_links_provider_subject"),
        UniqueConstraint("person_id", "provider", name="uq_sso_links_person_provider"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    provider: Mapped[str] = mapped_column(String(PROVIDER_ID_MAX))  # the id in SSO_PROVIDERS
    subject: Mapped[str] = mapped_column(String(SUBJECT_MAX))
    email_at_link: Mapped[str] = mapped_column(String(254))  # the address that first matched, for the admin
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person = relationship("Person")
