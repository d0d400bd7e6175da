"""single sign-on links and two-factor secrets (issue 16)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 23:14:59.884703

"""
from alembic import op
import sqlalchemy as sa
import lms.models.column_types  # noqa: F401 - custom column types used by autogenerate


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    # New tables only: nobody is linked to a provider or has a second factor until they sign in.
    op.create_table('recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', lms.models.column_types.UTCDateTime(), nullable=False),
    sa.Column('used_at', lms.models.column_types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_recovery_codes_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes'))
    )
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_codes_person_id'), ['person_id'], unique=False)

    op.create_table('sso_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('email_at_link', sa.String(length=254), nullable=False),
    sa.Column('linked_at', lms.models.column_types.UTCDateTime(), nullable=False),
    sa.Column('last_used_at', lms.models.column_types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_sso_links_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_links')),
    sa.UniqueConstraint('person_id', 'provider', name='uq_sso_links_person_provider'),
    sa.UniqueConstraint('provider', 'subject', name='uq_sso_links_provider_subject')
    )
    with op.batch_alter_table('sso_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sso_links_person_id'), ['person_id'], unique=False)

    op.create_table('two_factor_secrets',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('secret', sa.String(length=64), nullable=False),
    sa.Column('created_at', lms.models.column_types.UTCDateTime(), nullable=False),
    sa.Column('confirmed_at', lms.models.column_types.UTCDateTime(), nullable=True),
    sa.Column('last_step', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_two_factor_secrets_person_id_people')),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_two_factor_secrets'))
    )


def downgrade():
    op.drop_table('two_factor_secrets')
    with op.batch_alter_table('sso_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sso_links_person_id'))

    op.drop_table('sso_links')
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_codes_person_id'))

    op.drop_table('recovery_codes')
