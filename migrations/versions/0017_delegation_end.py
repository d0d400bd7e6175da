"""delegations ended early (issue 15)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 17:15:00

"""
from alembic import op
import sqlalchemy as sa
import lms.models.column_types  # noqa: F401 - custom column types used by autogenerate


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    # Both empty on every existing row: a delegation made before this was never ended early.
    with op.batch_alter_table('delegations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ended_at', lms.models.column_types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('ended_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_delegations_ended_by_id_people'), 'people', ['ended_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('delegations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_delegations_ended_by_id_people'), type_='foreignkey')
        batch_op.drop_column('ended_by_id')
        batch_op.drop_column('ended_at')
