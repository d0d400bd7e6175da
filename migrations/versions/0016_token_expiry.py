"""API token expiry (issue 15)

Every token gets `expires_at`. Tokens made before this change expire 12 months after they were
made (the default for new ones), or at once if that is already past. Tokens of people who are
inactive now are revoked: until now a leaver's token was only refused while they were away, and
would have worked again on their return.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 17:15:00

"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa
import lms.models.column_types  # noqa: F401 - custom column types used by autogenerate


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

_tokens = sa.table('api_tokens', sa.column('id', sa.Integer), sa.column('person_id', sa.Integer),
                   sa.column('created_at', lms.models.column_types.UTCDateTime()),
                   sa.column('revoked_at', lms.models.column_types.UTCDateTime()),
                   sa.column('expires_at', lms.models.column_types.UTCDateTime()))
_people = sa.table('people', sa.column('id', sa.Integer), sa.column('active', sa.Boolean))


def _a_year_on(made):
    """The same moment a year later; 29 February becomes 28 February (kept here: migrations do not
    follow later changes to the app's code)."""
    try:
        return made.replace(year=made.year + 1)
    except ValueError:
        return made.replace(year=made.year + 1, day=28)


def upgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', lms.models.column_types.UTCDateTime(), nullable=True))

    conn = op.get_bind()
    now = datetime.now(UTC)
    # A handful of rows per person at most: computed here, the same on both backends (no interval SQL).
    for token_id, created_at in conn.execute(sa.select(_tokens.c.id, _tokens.c.created_at)).all():
        made = created_at if created_at is not None else now
        conn.execute(_tokens.update().where(_tokens.c.id == token_id).values(expires_at=_a_year_on(made)))
    conn.execute(_tokens.update()
                 .where(_tokens.c.revoked_at.is_(None),
                        _tokens.c.person_id.in_(sa.select(_people.c.id).where(_people.c.active.is_(False))))
                 .values(revoked_at=now))

    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=lms.models.column_types.UTCDateTime(), nullable=False)


def downgrade():
    # The leavers' tokens revoked by upgrade() stay revoked: nothing records which they were.
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
