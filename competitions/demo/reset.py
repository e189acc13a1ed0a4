"""Emptying a database for `flask seed-demo --reset`: every record goes, the schema stays.

The audit log refuses deletion by trigger (docs/audit.md), so the triggers are lifted for the
one transaction that empties the tables and restored in it; anything failing leaves the
database as it was. This runs as the schema's owner (MIGRATION_DATABASE_URI): the application's
own role may not lift them, which is the point of them.
"""

from __future__ import annotations

import os
from datetime import datetime

import sqlalchemy as sa

from competitions.extensions import db

KEEP = {"alembic_version"}  # the schema's revision is not data


def empty_database(engine: sa.Engine) -> None:
    """Delete every row of every table but the schema's revision."""
    with engine.begin() as conn:
        names = [t.name for t in reversed(db.metadata.sorted_tables)
                 if t.name in set(sa.inspect(conn).get_table_names()) - KEEP]
        if conn.dialect.name == "postgresql":
            quoted = ", ".join(f'"{name}"' for name in names)
            for name in names:
                conn.execute(sa.text(f'ALTER TABLE "{name}" DISABLE TRIGGER USER'))
            conn.execute(sa.text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
            for name in names:
                conn.execute(sa.text(f'ALTER TABLE "{name}" ENABLE TRIGGER USER'))
            return
        conn.execute(sa.text("PRAGMA defer_foreign_keys = ON"))  # checked at commit
        triggers = conn.execute(sa.text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
        for name, _sql in triggers:
            conn.execute(sa.text(f'DROP TRIGGER "{name}"'))
        for name in names:
            conn.execute(sa.text(f'DELETE FROM "{name}"'))
        if conn.execute(sa.text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")
                        ).first():
            conn.execute(sa.text("DELETE FROM sqlite_sequence"))
        for _name, sql in triggers:
            conn.execute(sa.text(sql))


def set_checkpoints_aside(path: str | None) -> str | None:
    """Rename the signed-checkpoint file, which vouches for the log about to be emptied, so the
    new log starts a file of its own; return the name it was kept under."""
    if not path or path == "-" or path == os.devnull or not os.path.exists(path):
        return None
    kept = f"{path}.before-reset-{datetime.now():%Y%m%d-%H%M%S}"
    os.replace(path, kept)
    return kept
