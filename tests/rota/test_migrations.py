"""The rota migration goes up, down and up again on both backends, and matches the models."""

from __future__ import annotations

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from core import db, migrations
from core.db import Base
from tests.conftest import POSTGRES_ADMIN_URL, _postgres_reachable

ROTA_TABLES = {"rotation", "rotation_member", "duty_override", "senior_leave", "swap_request", "department_head"}


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    why_not = _postgres_reachable()
    if why_not is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true requires PostgreSQL: {why_not}")
        pytest.skip(f"PostgreSQL not reachable ({why_not})")
    name = f"recours_migration_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _table_of(diff) -> str:
    """The table an autogenerate diff is about: ("add_table", Table), ("add_index", Index),
    ("add_column", schema, table, Column), or a list of ("modify_...", schema, table, ...)."""
    kind, *rest = diff[0] if isinstance(diff, list) else diff
    if kind.endswith("_table"):
        return rest[0].name
    if kind.endswith(("_index", "_constraint", "_fk")):
        return rest[0].table.name
    return rest[1]


OWNED_TABLES = ROTA_TABLES | {"department", "senior", "senior_phone", "specialty", "duty_slot"}


def test_up_down_up_and_no_drift(fresh_url):
    engine = db.make_engine(fresh_url)
    try:
        migrations.upgrade(engine, "0001")
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO department (name, timezone) VALUES ('Old', 'Europe/Paris')"))
        migrations.upgrade(engine, "0002")
        assert set(inspect(engine).get_table_names()) >= ROTA_TABLES
        with engine.connect() as connection:
            row = connection.execute(text("SELECT leave_policy, swaps_need_approval, public_holidays FROM department")).one()
        assert (row[0], bool(row[1]), row[2]) == ("skip", True, None)
        migrations.downgrade(engine, "0001")
        assert not ROTA_TABLES & set(inspect(engine).get_table_names())
        migrations.upgrade(engine, "0002")
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            drift = [d for d in compare_metadata(context, Base.metadata) if _table_of(d) in OWNED_TABLES]
        assert drift == [], "the rota models and migration 0002 disagree"
    finally:
        engine.dispose()
