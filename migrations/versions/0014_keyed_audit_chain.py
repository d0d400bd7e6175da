"""keyed audit chain (issue 15)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 17:15:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
import lms.models.column_types  # noqa: F401 - custom column types used by autogenerate


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    # Existing events keep their SHA-256 hashes (history is not rewritten): the server default labels
    # them "sha256"; the app writes "hmac-sha256" from now on. SQLite adds the column in place
    # (ALTER TABLE ADD COLUMN), so the append-only triggers of 0007 stay on the table.
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scheme', sa.String(length=12), server_default='sha256', nullable=False))


def downgrade():
    # Dropping a column makes SQLite's batch mode copy the table, which drops its triggers: put them back.
    # Keyed events left behind would no longer verify under the older code (it knows SHA-256 only).
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('scheme')
    if op.get_bind().dialect.name != "postgresql":
        for event in ("UPDATE", "DELETE"):
            op.execute(f"DROP TRIGGER IF EXISTS audit_events_no_{event.lower()}")
            op.execute(f"""
                CREATE TRIGGER audit_events_no_{event.lower()} BEFORE {event} ON audit_events
                BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""")
