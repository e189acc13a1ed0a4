"""The application's PostgreSQL role: it reads and writes every table, but the audit log only
grows (docs/audit.md, production set-up).

The owner role (MIGRATION_DATABASE_URL) owns the tables and runs the migrations; the
application connects (DATABASE_URL) as a role that is neither owner nor superuser, so it cannot
UPDATE, DELETE or TRUNCATE the audit entries, ALTER the tables, drop or disable their triggers,
or set session_replication_role. Heads may be updated (they move forward, which a trigger
enforces) but never deleted.
"""

import sqlalchemy as sa

from competitions.database import Base

AUDIT_PRIVILEGES = {
    "audit_entries": "SELECT, INSERT",
    "audit_checkpoints": "SELECT, INSERT",
    "audit_heads": "SELECT, INSERT, UPDATE",
}


def grant_statements(role: str) -> list[str]:
    """What the owner runs after each migration to give `role` its privileges, and no more."""
    quoted = '"' + role.replace('"', '""') + '"'
    statements = [f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {quoted}",
                  f"GRANT USAGE ON SCHEMA public TO {quoted}"]
    for table in Base.metadata.sorted_tables:
        privileges = AUDIT_PRIVILEGES.get(table.name, "SELECT, INSERT, UPDATE, DELETE")
        statements.append(f'GRANT {privileges} ON "{table.name}" TO {quoted}')
    statements.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")
    return statements


def grant_app_role(engine: sa.Engine, role: str) -> None:
    with engine.begin() as connection:
        for statement in grant_statements(role):
            connection.execute(sa.text(statement))
