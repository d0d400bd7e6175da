"""mail outbox: every email a row written with the change that causes it, sent by the mail worker (issue 15)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 17:15:00

"""
from alembic import op
import sqlalchemy as sa
import lms.models.column_types  # noqa: F401 - custom column types used by autogenerate


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mail_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('message', 'password_reset', name='outboxkind', native_enum=False, length=20), nullable=False),
    sa.Column('state', sa.Enum('queued', 'sent', 'skipped', 'dead', name='outboxstate', native_enum=False, length=20), nullable=False),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('asked_from', sa.String(length=64), nullable=True),
    sa.Column('created_at', lms.models.column_types.UTCDateTime(), nullable=False),
    sa.Column('due_at', lms.models.column_types.UTCDateTime(), nullable=False),
    sa.Column('claimed_by', sa.String(length=32), nullable=True),
    sa.Column('lease_until', lms.models.column_types.UTCDateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_attempt_at', lms.models.column_types.UTCDateTime(), nullable=True),
    sa.Column('sent_at', lms.models.column_types.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_outbox'))
    )
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_mail_outbox_state_due_at', ['state', 'due_at'], unique=False)


def downgrade():
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_mail_outbox_state_due_at')

    op.drop_table('mail_outbox')
