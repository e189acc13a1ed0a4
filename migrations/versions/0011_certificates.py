"""Certificates (issue 13): certificate records, organisations' seals and logos, region codes,
and each competition's certificate settings

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 14:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('region_code', sa.String(length=6), nullable=True))
    with op.batch_alter_table('competitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('certificate_settings', sa.JSON(), server_default='{}',
                                      nullable=False))

    op.create_table(
        'certificates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('serial', sa.String(length=32), nullable=True),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.Enum('award', 'title', 'participation', name='certificatekind',
                                  native_enum=False, create_constraint=True, length=13),
                  nullable=False),
        sa.Column('key', sa.String(length=60), nullable=False),
        sa.Column('competition_id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('worker_id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=True),
        sa.Column('title_award_id', sa.Integer(), nullable=True),
        sa.Column('holder_name', sa.String(length=50), nullable=False),
        sa.Column('team_name', sa.String(length=100), nullable=True),
        sa.Column('awards', sa.JSON(), nullable=False),
        sa.Column('title', sa.String(length=40), nullable=True),
        sa.Column('issuer_ids', sa.JSON(), nullable=False),
        sa.Column('missing_characters', sa.String(length=40), nullable=True),
        sa.Column('status', sa.Enum('valid', 'under_review', 'revoked',
                                    name='certificatestatus', native_enum=False,
                                    create_constraint=True, length=12), nullable=False),
        sa.Column('issued_at', sa.DateTime(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.Column('revoke_reason', sa.String(length=200), nullable=True),
        sa.Column('replaces_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['competition_id'], ['competitions.id'],
                                name=op.f('fk_certificates_competition_id_competitions')),
        sa.ForeignKeyConstraint(['entry_id'], ['entries.id'],
                                name=op.f('fk_certificates_entry_id_entries')),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'],
                                name=op.f('fk_certificates_event_id_events')),
        sa.ForeignKeyConstraint(['replaces_id'], ['certificates.id'],
                                name=op.f('fk_certificates_replaces_id_certificates')),
        sa.ForeignKeyConstraint(['title_award_id'], ['title_awards.id'],
                                name=op.f('fk_certificates_title_award_id_title_awards')),
        sa.ForeignKeyConstraint(['worker_id'], ['workers.id'],
                                name=op.f('fk_certificates_worker_id_workers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates')),
        sa.UniqueConstraint('serial', name=op.f('uq_certificates_serial')),
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificates_competition_id'), ['competition_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_certificates_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificates_worker_id'), ['worker_id'],
                              unique=False)
        batch_op.create_index('uq_certificates_live_key', ['key'], unique=True,
                              sqlite_where=sa.text('revoked_at IS NULL'),
                              postgresql_where=sa.text('revoked_at IS NULL'))

    op.create_table(
        'organisation_images',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.Enum('seal', 'logo', name='imagekind', native_enum=False,
                                  create_constraint=True, length=4), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.Column('uploaded_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_organisation_images_organisation_id_organisations')),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'],
                                name=op.f('fk_organisation_images_uploaded_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation_images')),
        sa.UniqueConstraint('organisation_id', 'kind', name='uq_organisation_images_kind'),
    )


def downgrade():
    op.drop_table('organisation_images')
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index('uq_certificates_live_key')
        batch_op.drop_index(batch_op.f('ix_certificates_worker_id'))
        batch_op.drop_index(batch_op.f('ix_certificates_event_id'))
        batch_op.drop_index(batch_op.f('ix_certificates_competition_id'))
    op.drop_table('certificates')
    with op.batch_alter_table('competitions', schema=None) as batch_op:
        batch_op.drop_column('certificate_settings')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('region_code')
