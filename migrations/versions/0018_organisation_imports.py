"""Organisation data import (issue 17): a staged spreadsheet of units' workforce, industry,
ownership and size, kept with the organisation it is for until it is confirmed

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 20:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('organisation_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('parsed', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_organisation_imports_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_organisation_imports_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation_imports'))
    )
    with op.batch_alter_table('organisation_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_imports_organisation_id'), ['organisation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('organisation_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisation_imports_organisation_id'))

    op.drop_table('organisation_imports')
