"""The Alembic chain: one head, the models and the migrations agree, and it goes down and up again."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from core import db, migrations
from schema import metadata
from tests.conftest import POSTGRES_ADMIN_URL, _postgres_reachable


def test_one_chain_with_a_single_head():
    scripts = ScriptDirectory.from_config(migrations.alembic_config())
    assert len(scripts.get_heads()) == 1, scripts.get_heads()
    assert len(scripts.get_bases()) == 1


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'chain.sqlite3'}"
        return
    if _postgres_reachable() is not None:
        pytest.skip("PostgreSQL not reachable")  # conftest's database_url fixture fails under CI=true
    name = f"recours_chain_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_matches_the_models_then_down_to_base_and_up_again(empty_url):
    engine = db.make_engine(empty_url)
    try:
        migrations.upgrade(engine)
        with engine.connect() as connection:
            drift = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata)
        assert drift == [], drift
        migrations.downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrations.upgrade(engine)
        assert "call" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_every_routing_table_has_its_rota_version_trigger_after_the_whole_chain(empty_url):
    """Each instance's routing snapshot is rebuilt when ``rota_version`` moves (routing/snapshot.py):
    every table in ``ROUTING_TABLES`` must move it, on both databases, after the whole chain (a batch
    migration on SQLite recreates a table without its triggers). On PostgreSQL a statement on an empty
    table fires its statement-level trigger; SQLite's are row-level, so there the catalogue is read."""
    from routing.models import ROUTING_TABLES

    engine = db.make_engine(empty_url)
    try:
        migrations.upgrade(engine)
        silent = []
        for table in ROUTING_TABLES:
            with engine.begin() as connection:
                if engine.dialect.name == "sqlite":
                    catalogue = text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t")
                    names = connection.execute(catalogue, {"t": table})
                    if {f"rota_version_{table}_{operation}" for operation in ("insert", "update", "delete")} - set(names.scalars()):
                        silent.append(table)
                    continue
                before = connection.execute(text("SELECT version FROM rota_version WHERE id = 1")).scalar_one()
                connection.execute(text(f'DELETE FROM "{table}"'))
                if connection.execute(text("SELECT version FROM rota_version WHERE id = 1")).scalar_one() == before:
                    silent.append(table)
        assert silent == []
    finally:
        engine.dispose()


def test_a_transaction_of_many_statements_bumps_the_rota_version_once_on_postgresql(empty_url):
    """An import sent as one statement per row bumps ``rota_version`` once, at its commit (migration
    0960): thousands of updates of one row in one transaction made each next one slower. A later
    transaction bumps again, and so does a write after a savepoint rolled back with its bump."""
    engine = db.make_engine(empty_url)
    if engine.dialect.name != "postgresql":
        engine.dispose()
        pytest.skip("SQLite's triggers are row-level and update the row in place")
    version = text("SELECT version FROM rota_version WHERE id = 1")
    department = text("INSERT INTO department (name, timezone, leave_policy) VALUES (:name, 'Europe/Paris', 'skip')")
    try:
        migrations.upgrade(engine)
        with engine.begin() as connection:
            before = connection.execute(version).scalar_one()
            for n in range(300):
                connection.execute(department, {"name": f"D{n}"})
            assert connection.execute(version).scalar_one() == before + 1
        with engine.begin() as connection:
            connection.execute(department, {"name": "another transaction"})
            assert connection.execute(version).scalar_one() == before + 2
            savepoint = connection.begin_nested()
            connection.execute(text("DELETE FROM department WHERE name = 'D0'"))
            savepoint.rollback()
            assert connection.execute(version).scalar_one() == before + 2
        with engine.begin() as connection:
            savepoint = connection.begin_nested()
            connection.execute(department, {"name": "in a savepoint rolled back"})
            savepoint.rollback()
            assert connection.execute(version).scalar_one() == before + 2
            connection.execute(department, {"name": "after it"})
            assert connection.execute(version).scalar_one() == before + 3
    finally:
        engine.dispose()
