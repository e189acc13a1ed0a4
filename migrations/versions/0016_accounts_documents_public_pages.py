"""Accounts, documents and public contest pages (issue 16): uploaded files kept in the database,
one-time account tokens (password reset, invitation, profile claim), each entry's required
documents, a worker's e-mail on file, and the descriptions, schedule and rules document that
the public pages show

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 17:11:37.274231

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stored_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_stored_files_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_files'))
    )
    op.create_table('account_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.Enum('reset', 'invite', 'claim', name='tokenpurpose', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('worker_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('sent_to', sa.String(length=254), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('failed_attempts', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_account_tokens_created_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_account_tokens_user_id_users')),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_account_tokens_worker_id_workers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_account_tokens_token_hash'))
    )
    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_tokens_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_tokens_worker_id'), ['worker_id'], unique=False)

    op.create_table('entry_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('requirement', sa.String(length=100), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['entries.id'], name=op.f('fk_entry_documents_entry_id_entries')),
    sa.ForeignKeyConstraint(['file_id'], ['stored_files.id'], name=op.f('fk_entry_documents_file_id_stored_files')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_entry_documents_uploaded_by_id_users')),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_entry_documents_worker_id_workers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entry_documents')),
    sa.UniqueConstraint('entry_id', 'worker_id', 'requirement', name='uq_entry_documents_requirement')
    )
    with op.batch_alter_table('entry_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_entry_documents_entry_id'), ['entry_id'], unique=False)

    with op.batch_alter_table('competitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('rules_file_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_competitions_rules_file_id_stored_files'), 'stored_files', ['rules_file_id'], ['id'])

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('schedule', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('required_documents', sa.JSON(), server_default='[]', nullable=False))

    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))



def downgrade():
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.drop_column('email')

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('required_documents')
        batch_op.drop_column('schedule')
        batch_op.drop_column('description')

    with op.batch_alter_table('competitions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_competitions_rules_file_id_stored_files'), type_='foreignkey')
        batch_op.drop_column('rules_file_id')
        batch_op.drop_column('description')

    with op.batch_alter_table('entry_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_entry_documents_entry_id'))

    op.drop_table('entry_documents')
    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_tokens_worker_id'))
        batch_op.drop_index(batch_op.f('ix_account_tokens_user_id'))

    op.drop_table('account_tokens')
    op.drop_table('stored_files')
