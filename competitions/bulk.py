"""Batched inserts for the imports, results, eligibilities and the scale seed: plain dicts
written by COPY on PostgreSQL and executemany elsewhere (the ORM's add_all is about ten times
slower), with ids drawn beforehand so that children can name their parents without a round
trip per row."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from competitions.extensions import db

BATCH = 10_000


class Ids:
    """Hands out primary keys for new rows. PostgreSQL: from the table's own sequence
    (nextval needs only the USAGE the application's role holds, docs/audit.md), so later rows
    the application inserts never collide; SQLite: from max(id) + 1."""

    def __init__(self):
        self.postgres = db.engine.dialect.name == "postgresql"
        self.next: dict[str, int] = {}
        self.pools: dict[str, list[int]] = {}

    def one(self, table: sa.Table) -> int:
        """One id, from a pool drawn a thousand at a time (one round trip, not one a row)."""
        pool = self.pools.setdefault(table.name, [])
        if not pool:
            pool.extend(reversed(self.take(table, 1000)))
        return pool.pop()

    def take(self, table: sa.Table, n: int) -> list[int]:
        if n <= 0:
            return []
        if self.postgres:
            sequence = db.session.scalar(sa.select(sa.func.pg_get_serial_sequence(table.name,
                                                                                  "id")))
            return list(db.session.scalars(
                sa.select(sa.func.nextval(sequence)).select_from(sa.func.generate_series(1, n))))
        if table.name not in self.next:
            self.next[table.name] = (db.session.scalar(sa.select(sa.func.max(table.c.id)))
                                     or 0) + 1
        first = self.next[table.name]
        self.next[table.name] = first + n
        return list(range(first, first + n))


def insert_rows(table: sa.Table, rows: list[dict]) -> None:
    """Insert `rows` (dicts with the same keys, ids included) into `table` in the session's
    transaction: by COPY on PostgreSQL, where psycopg writes each row in C (an executemany
    dumps every parameter in Python, and a multi-row INSERT spends longer parsing its
    placeholders); by executemany elsewhere. Values go in as Core's INSERT would send them:
    through each column's bind processing (an enum as its value, JSON as text), with the
    columns' Python defaults for what the rows leave out."""
    if not rows:
        return
    if db.engine.dialect.name != "postgresql":
        db.session.execute(sa.insert(table), rows)
        return
    from psycopg import sql

    given = list(rows[0])
    defaults = {column.name: column.default for column in table.columns
                if column.name not in given and column.default is not None}
    names = given + list(defaults)
    dialect = db.engine.dialect
    process = [table.c[name].type.bind_processor(dialect) for name in names]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, names)))
    raw = db.session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            values = [row[name] for name in given]
            values += [d.arg(None) if d.is_callable else d.arg for d in defaults.values()]
            copy.write_row([p(v) if p and v is not None else v
                            for p, v in zip(process, values, strict=True)])


class Writer:
    """Collects rows of one table and inserts them BATCH at a time, after its parents' pending
    rows; `step` is told how many rows went in (a progress bar's update)."""

    def __init__(self, model, step: Callable[[int], None] | None = None,
                 parents: tuple[Writer, ...] = ()):
        self.table: sa.Table = model.__table__
        self.parents = parents  # flushed first: the rows here name theirs
        self.rows: list[dict] = []
        self.count = 0
        self.step = step

    @property
    def added(self) -> int:
        return self.count + len(self.rows)

    def add(self, row: dict) -> None:
        self.rows.append(row)
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        for parent in self.parents:
            parent.flush()
        if self.rows:
            insert_rows(self.table, self.rows)
            self.count += len(self.rows)
            if self.step:
                self.step(len(self.rows))
            self.rows = []
