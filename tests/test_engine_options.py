"""Engine options: PostgreSQL plans every query with its values (no prepared statements)."""

import pytest

from competitions.config import engine_options
from competitions.extensions import db

PG = "postgresql+psycopg://app@127.0.0.1:5432/competitions"


def test_postgresql_connections_prepare_nothing():
    assert engine_options(PG, {"pool_pre_ping": True}) == {
        "pool_pre_ping": True, "connect_args": {"prepare_threshold": None}}


def test_connect_args_given_are_kept_and_a_prepare_threshold_given_wins():
    given = {"connect_args": {"connect_timeout": 5, "prepare_threshold": 20}}
    assert engine_options(PG, given) == given
    assert engine_options(PG, {"connect_args": {"connect_timeout": 5}}) == {
        "connect_args": {"connect_timeout": 5, "prepare_threshold": None}}


@pytest.mark.parametrize("url", ["sqlite:///competitions.sqlite", "sqlite://"])
def test_sqlite_options_are_left_alone(url):
    assert engine_options(url, {"pool_pre_ping": True}) == {"pool_pre_ping": True}


def test_the_apps_postgresql_connections_never_prepare(app, backend):
    if backend == "sqlite":
        pytest.skip("psycopg's setting")
    for _ in range(8):  # psycopg would prepare from the sixth run
        db.session.execute(db.select(1))
    psycopg_connection = db.session.connection().connection.driver_connection
    assert psycopg_connection.prepare_threshold is None
    assert psycopg_connection.execute("SELECT count(*) FROM pg_prepared_statements").fetchone() \
        == (0,)
