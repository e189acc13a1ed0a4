"""Result versions (issue 15): each publication of an event's results is kept as a version, so
an upheld appeal or a reopening no longer erases what the public notice said

The results stored so far become version 1. An entry has one result per version
(uq_results_entry_version replaces uq_results_entry_id), and the pages read an event's results
by version and rank (ix_results_event_version_rank replaces ix_results_event_rank).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 16:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1',
                                      nullable=False))
        batch_op.drop_constraint(batch_op.f('uq_results_entry_id'), type_='unique')
        batch_op.create_unique_constraint('uq_results_entry_version', ['entry_id', 'version'])
        batch_op.drop_index('ix_results_event_rank')
        batch_op.create_index('ix_results_event_version_rank', ['event_id', 'version', 'rank'],
                              unique=False)


def downgrade():
    # One result per entry again: only each event's current version survives.
    op.execute(
        "DELETE FROM results WHERE version < (SELECT max(latest.version) FROM results AS latest "
        "WHERE latest.event_id = results.event_id)")
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.drop_index('ix_results_event_version_rank')
        batch_op.create_index('ix_results_event_rank', ['event_id', 'rank'], unique=False)
        batch_op.drop_constraint('uq_results_entry_version', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_results_entry_id'), ['entry_id'])
        batch_op.drop_column('version')
