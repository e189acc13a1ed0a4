"""Effectiveness evaluation (issue 17): what an employing unit is (workforce and the year it
was counted, industry section, ownership, size) and enterprise drills recorded summarily, with
their named winners

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 17:53:58.121617

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('drills',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('occupation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('participants', sa.Integer(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('participants >= 0', name=op.f('ck_drills_participants_not_negative')),
    sa.ForeignKeyConstraint(['occupation_id'], ['occupations.id'], name=op.f('fk_drills_occupation_id_occupations')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_drills_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_drills_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drills'))
    )
    with op.batch_alter_table('drills', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_drills_held_on'), ['held_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_drills_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('drill_places',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('drill_id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('place', sa.Integer(), nullable=False),
    sa.CheckConstraint('place >= 1', name=op.f('ck_drill_places_place_positive')),
    sa.ForeignKeyConstraint(['drill_id'], ['drills.id'], name=op.f('fk_drill_places_drill_id_drills'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_drill_places_worker_id_workers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drill_places')),
    sa.UniqueConstraint('drill_id', 'worker_id', name='uq_drill_places_worker')
    )
    with op.batch_alter_table('drill_places', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_drill_places_drill_id'), ['drill_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_drill_places_worker_id'), ['worker_id'], unique=False)

    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('workforce', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('workforce_year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('industry', sa.String(length=1), nullable=True))
        batch_op.add_column(sa.Column('ownership', sa.Enum('state', 'collective', 'private', 'foreign', 'other', name='ownership', native_enum=False, create_constraint=False), nullable=True))
        batch_op.add_column(sa.Column('size', sa.Enum('large', 'medium', 'small', 'micro', name='enterprisesize', native_enum=False, create_constraint=False), nullable=True))
        # The enums' checks are named here: added inside a batch, they would come twice on SQLite.
        batch_op.create_check_constraint(
            'ownership', "ownership IN ('state', 'collective', 'private', 'foreign', 'other')")
        batch_op.create_check_constraint('enterprisesize',
                                         "size IN ('large', 'medium', 'small', 'micro')")
        batch_op.create_check_constraint('workforce_not_negative', 'workforce >= 0')



def downgrade():
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        for name in ('workforce_not_negative', 'enterprisesize', 'ownership'):
            batch_op.drop_constraint(batch_op.f(f'ck_organisations_{name}'), type_='check')
        batch_op.drop_column('size')
        batch_op.drop_column('ownership')
        batch_op.drop_column('industry')
        batch_op.drop_column('workforce_year')
        batch_op.drop_column('workforce')

    with op.batch_alter_table('drill_places', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_drill_places_worker_id'))
        batch_op.drop_index(batch_op.f('ix_drill_places_drill_id'))

    op.drop_table('drill_places')
    with op.batch_alter_table('drills', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_drills_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_drills_held_on'))

    op.drop_table('drills')
