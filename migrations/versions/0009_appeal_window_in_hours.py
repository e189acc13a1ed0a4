"""The notice and the appeal window in hours, each its own setting (issue 12, item 4)

A competition's notice_days becomes notice_hours and appeal_hours, both notice_days × 24 (the
appeal window was the notice until now); an event's appeal deadline, appeals_close_at, is its
notice_ends_at wherever the results have been published. The downgrade keeps the notice,
rounded up to whole days, and drops the appeal window.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 11:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('competitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice_hours', sa.Integer(), nullable=False,
                                      server_default='120'))
        batch_op.add_column(sa.Column('appeal_hours', sa.Integer(), nullable=False,
                                      server_default='120'))
    op.execute("UPDATE competitions SET notice_hours = notice_days * 24, "
               "appeal_hours = notice_days * 24")
    with op.batch_alter_table('competitions', schema=None) as batch_op:
        batch_op.drop_column('notice_days')

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('appeals_close_at', sa.DateTime(), nullable=True))
    op.execute("UPDATE events SET appeals_close_at = notice_ends_at "
               "WHERE notice_ends_at IS NOT NULL")


def downgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('appeals_close_at')

    with op.batch_alter_table('competitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice_days', sa.Integer(), nullable=False,
                                      server_default='5'))
    op.execute("UPDATE competitions SET notice_days = (notice_hours + 23) / 24")
    with op.batch_alter_table('competitions', schema=None) as batch_op:
        batch_op.drop_column('appeal_hours')
        batch_op.drop_column('notice_hours')
