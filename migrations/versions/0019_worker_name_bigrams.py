"""Worker name search (issue 18): on PostgreSQL, a GIN index of each name's character pairs,
so that a name fragment is looked up instead of read from every worker; SQLite has none

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 00:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

# As in competitions/registration/models.py (NAME_BIGRAMS_FUNCTION) at this revision.
NAME_BIGRAMS_FUNCTION = """
CREATE OR REPLACE FUNCTION text_bigrams(value text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    pairs text[] := '{}';
BEGIN
    FOR i IN 1 .. char_length(value) - 1 LOOP
        pairs := pairs || substr(value, i, 2);
    END LOOP;
    RETURN pairs;
END $$
"""


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(NAME_BIGRAMS_FUNCTION)
    op.create_index('ix_workers_name_bigrams', 'workers', [sa.text('text_bigrams(name)')],
                    unique=False, postgresql_using='gin',
                    postgresql_with={'gin_pending_list_limit': 64})


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.drop_index('ix_workers_name_bigrams', table_name='workers', postgresql_using='gin')
    op.execute('DROP FUNCTION IF EXISTS text_bigrams(text)')
