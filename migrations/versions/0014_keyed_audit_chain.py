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
    pass  # placeholder: filled in by the change that needs it (or removed if none does)


def downgrade():
    pass
