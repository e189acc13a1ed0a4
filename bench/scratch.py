"""A PostgreSQL database of the benchmark's own, created on a server and dropped afterwards."""

import uuid
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from competitions.config import normalise_database_url


@contextmanager
def scratch_postgres(server_url: str, prefix: str):
    """Yield (database URL, server version) for a fresh database on `server_url`."""
    server = make_url(normalise_database_url(server_url))
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        version = conn.execute(sa.text("SHOW server_version")).scalar()
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False), version
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
