"""Promotion (issue 14): levels per occupation with their history, promotion eligibility, the
competitions' promotion settings, and the subtree an HR officer's grant covers

Each worker's single `skill_level` (with its certificate) becomes their level in their own
occupation, with one history row saying it was recorded; workers without an occupation keep
theirs on the profile only, as before.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 15:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

LEVELS = ('apprentice', 'level5', 'level4', 'level3', 'level2', 'level1', 'principal', 'chief')


def level(name):
    return sa.Enum(*LEVELS, name=name, native_enum=False, create_constraint=True, length=10)


def upgrade():
    with op.batch_alter_table('competitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('promotion_rules', sa.JSON(), server_default='{}',
                                      nullable=False))
        batch_op.add_column(sa.Column('promotion_by_organisers', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('promotion_expiry_days', sa.Integer(),
                                      server_default='90', nullable=False))
    with op.batch_alter_table('role_grants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('covers_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_role_grants_covers_id_organisations'),
                                    'organisations', ['covers_id'], ['id'])

    op.create_table(
        'worker_levels',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('worker_id', sa.Integer(), nullable=False),
        sa.Column('occupation_id', sa.Integer(), nullable=False),
        sa.Column('level', level('skilllevel'), nullable=False),
        sa.Column('certificate_no', sa.String(length=32), nullable=True),
        sa.Column('certified_on', sa.Date(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['occupation_id'], ['occupations.id'],
                                name=op.f('fk_worker_levels_occupation_id_occupations')),
        sa.ForeignKeyConstraint(['worker_id'], ['workers.id'],
                                name=op.f('fk_worker_levels_worker_id_workers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_worker_levels')),
        sa.UniqueConstraint('worker_id', 'occupation_id', name='uq_worker_levels_occupation'),
    )
    op.create_table(
        'promotion_eligibilities',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('competition_id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('worker_id', sa.Integer(), nullable=False),
        sa.Column('occupation_id', sa.Integer(), nullable=False),
        sa.Column('rule_name', sa.String(length=40), nullable=False),
        sa.Column('rule_version', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=30), nullable=False),
        sa.Column('eligible', sa.Boolean(), nullable=False),
        sa.Column('from_level', level('from_level'), nullable=True),
        sa.Column('to_level', level('to_level'), nullable=True),
        sa.Column('band', sa.String(length=60), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('rank', sa.Integer(), nullable=False),
        sa.Column('awards', sa.JSON(), nullable=False),
        sa.Column('status', sa.Enum('pending', 'confirmed', 'declined',
                                    name='eligibilitystatus', native_enum=False,
                                    create_constraint=True, length=9), nullable=False),
        sa.Column('needs_review', sa.Boolean(), nullable=False),
        sa.Column('computed_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('document_no', sa.String(length=60), nullable=True),
        sa.Column('decline_reason', sa.Text(), nullable=True),
        sa.Column('certificate_no', sa.String(length=22), nullable=True),
        sa.Column('reminded_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['competition_id'], ['competitions.id'],
                                name=op.f('fk_promotion_eligibilities_competition_id_competitions')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'],
                                name=op.f('fk_promotion_eligibilities_decided_by_id_users')),
        sa.ForeignKeyConstraint(['entry_id'], ['entries.id'],
                                name=op.f('fk_promotion_eligibilities_entry_id_entries')),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'],
                                name=op.f('fk_promotion_eligibilities_event_id_events')),
        sa.ForeignKeyConstraint(['occupation_id'], ['occupations.id'],
                                name=op.f('fk_promotion_eligibilities_occupation_id_occupations')),
        sa.ForeignKeyConstraint(['worker_id'], ['workers.id'],
                                name=op.f('fk_promotion_eligibilities_worker_id_workers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_promotion_eligibilities')),
        sa.UniqueConstraint('event_id', 'worker_id', name='uq_promotion_eligibilities_once'),
    )
    with op.batch_alter_table('promotion_eligibilities', schema=None) as batch_op:
        for column in ('competition_id', 'event_id', 'worker_id', 'status'):
            batch_op.create_index(batch_op.f(f'ix_promotion_eligibilities_{column}'), [column],
                                  unique=False)
    op.create_table(
        'level_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('worker_id', sa.Integer(), nullable=False),
        sa.Column('occupation_id', sa.Integer(), nullable=False),
        sa.Column('from_level', level('from_level'), nullable=True),
        sa.Column('to_level', level('to_level'), nullable=False),
        sa.Column('source', sa.String(length=20), nullable=False),
        sa.Column('eligibility_id', sa.Integer(), nullable=True),
        sa.Column('document_no', sa.String(length=60), nullable=True),
        sa.Column('changed_on', sa.Date(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'],
                                name=op.f('fk_level_changes_actor_id_users')),
        sa.ForeignKeyConstraint(['eligibility_id'], ['promotion_eligibilities.id'],
                                name=op.f('fk_level_changes_eligibility_id_promotion_eligibilities')),
        sa.ForeignKeyConstraint(['occupation_id'], ['occupations.id'],
                                name=op.f('fk_level_changes_occupation_id_occupations')),
        sa.ForeignKeyConstraint(['worker_id'], ['workers.id'],
                                name=op.f('fk_level_changes_worker_id_workers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_level_changes')),
    )
    with op.batch_alter_table('level_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_level_changes_worker_id'), ['worker_id'],
                              unique=False)

    # Each worker's level becomes the level in their own occupation, recorded once.
    op.execute("""
        INSERT INTO worker_levels (worker_id, occupation_id, level, certificate_no, updated_at)
        SELECT id, occupation_id, skill_level, skill_certificate_no, updated_at FROM workers
        WHERE skill_level IS NOT NULL AND occupation_id IS NOT NULL""")
    op.execute("""
        INSERT INTO level_changes (worker_id, occupation_id, to_level, source, changed_on,
                                   created_at)
        SELECT id, occupation_id, skill_level, 'recorded', CAST(created_at AS DATE), updated_at
        FROM workers WHERE skill_level IS NOT NULL AND occupation_id IS NOT NULL""")


def downgrade():
    with op.batch_alter_table('level_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_level_changes_worker_id'))
    op.drop_table('level_changes')
    with op.batch_alter_table('promotion_eligibilities', schema=None) as batch_op:
        for column in ('status', 'worker_id', 'event_id', 'competition_id'):
            batch_op.drop_index(batch_op.f(f'ix_promotion_eligibilities_{column}'))
    op.drop_table('promotion_eligibilities')
    op.drop_table('worker_levels')
    with op.batch_alter_table('role_grants', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_role_grants_covers_id_organisations'),
                                 type_='foreignkey')
        batch_op.drop_column('covers_id')
    with op.batch_alter_table('competitions', schema=None) as batch_op:
        batch_op.drop_column('promotion_expiry_days')
        batch_op.drop_column('promotion_by_organisers')
        batch_op.drop_column('promotion_rules')
