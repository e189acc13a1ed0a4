"""Keep the rows of a staged spreadsheet, read once at upload (issue 10)

Uploads staged before this revision have no rows kept (NULL); the preview reads such a file
once and keeps its rows then.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 08:41:54.570137

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parsed', sa.JSON(), nullable=True))

    with op.batch_alter_table('score_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parsed', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('score_imports', schema=None) as batch_op:
        batch_op.drop_column('parsed')

    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.drop_column('parsed')
