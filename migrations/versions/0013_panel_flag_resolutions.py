"""Flagged panels (issue 15): the chief judge's resolution of each panel whose marks differ by
more than the spread threshold, kept with the marks it accepted

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 10:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'panel_flag_resolutions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('criterion_id', sa.Integer(), nullable=False),
        sa.Column('spread', sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column('marks', sa.JSON(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('resolved_by_id', sa.Integer(), nullable=True),
        sa.Column('resolved_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['criterion_id'], ['scheme_criteria.id'],
                                name=op.f('fk_panel_flag_resolutions_criterion_id_scheme_criteria')),
        sa.ForeignKeyConstraint(['entry_id'], ['entries.id'],
                                name=op.f('fk_panel_flag_resolutions_entry_id_entries')),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'],
                                name=op.f('fk_panel_flag_resolutions_event_id_events')),
        sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'],
                                name=op.f('fk_panel_flag_resolutions_resolved_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_flag_resolutions')),
        sa.UniqueConstraint('entry_id', 'criterion_id',
                            name='uq_panel_flag_resolutions_criterion'),
    )
    with op.batch_alter_table('panel_flag_resolutions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_panel_flag_resolutions_event_id'), ['event_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('panel_flag_resolutions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_panel_flag_resolutions_event_id'))
    op.drop_table('panel_flag_resolutions')
