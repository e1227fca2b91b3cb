"""Read-only sessions end with COMMIT, so the rota question stays prepared on PostgreSQL; and closing one
never writes what it holds."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from core import db
from rota import queries
from rota.models import Layer, Rotation, RotationMember, Specialty
from tests.rota.builders import ANCHOR_MONDAY, DAY, NIGHT, department, paris, senior, specialty


def _hotline_specialty(session) -> int:
    dept = department(session)
    neuro = specialty(session, dept, "neuro")
    team = [senior(session, f"Dr {n}") for n in ("Alves", "Brun", "Chen")]
    session.add(
        Rotation(
            specialty_id=neuro.id,
            name="Jour",
            layer=Layer.PRIMARY,
            weekdays="1234567",
            start_time=DAY,
            end_time=NIGHT,
            turn_days=1,
            handoff_time=DAY,
            anchor_date=ANCHOR_MONDAY,
            valid_from=paris(2026, 1, 1),
            members=[RotationMember(position=p, senior_id=s.id) for p, s in enumerate(team)],
        )
    )
    session.commit()
    return neuro.id


def _prepared_rota_questions(connection) -> int:
    return connection.scalar(text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%_ReadContext%'"))


def test_the_rota_question_stays_prepared_across_read_sessions(app, session, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("prepared statements are PostgreSQL's")
    specialty_id = _hotline_specialty(session)
    engine = db.database().engine
    engine.dispose()  # fresh connections: nothing prepared yet
    at = paris(2026, 3, 10, 10)
    expected = queries.on_duty_hunt_list(session, specialty_id, at)
    assert expected, "someone is on duty"

    readers = db.database().read_sessions
    for _ in range(8):  # psycopg prepares a statement on its fifth execution
        with readers() as reader:
            assert queries.on_duty_hunt_list(reader, specialty_id, at) == expected
    with readers() as reader:
        assert _prepared_rota_questions(reader.connection()) == 1
        assert queries.on_duty_hunt_list(reader, specialty_id, at) == expected

    # What the sessions that only read did before: ending with ROLLBACK, which makes psycopg forget them.
    writers = db.database().sessions
    for _ in range(8):
        with writers() as writer:
            queries.on_duty_hunt_list(writer, specialty_id, at)
    with writers() as writer:
        assert _prepared_rota_questions(writer.connection()) == 0


def test_psycopg_converts_the_rota_question_once_not_on_every_call(app, session, database_url):
    """psycopg turns %(name)s placeholders into $n on each execute and keeps the result only for short
    statements (4 kB in psycopg 3.3): the rota question is longer, and core.db raises that limit."""
    if not database_url.startswith("postgresql"):
        pytest.skip("psycopg's")
    from psycopg import _queries

    specialty_id = _hotline_specialty(session)
    at = paris(2026, 3, 10, 10)
    with db.database().read_sessions() as reader:
        length = len(str(queries._DUTY_AT.compile(dialect=reader.get_bind().dialect)))
        assert length > 4096  # (why the limit had to move)
        queries.on_duty_hunt_list(reader, specialty_id, at)
        converted = _queries._query2pg.cache_info()
        queries.on_duty_hunt_list(reader, specialty_id, at)
        again = _queries._query2pg.cache_info()
    assert length <= _queries.MAX_CACHED_STATEMENT_LENGTH
    assert again.hits == converted.hits + 1 and again.misses == converted.misses


def test_closing_a_read_session_writes_nothing_it_holds(app, session):
    dept = department(session)
    specialty(session, dept, "cardio", name_fr="Cardiologie")
    session.commit()

    with db.database().read_sessions() as reader:
        cardio = reader.scalars(select(Specialty).where(Specialty.code == "cardio")).one()
        cardio.name_fr = "changed by a reader"
        reader.flush()  # even flushed, the change is rolled back, not committed, at close

    with db.database().read_sessions() as reader:
        cardio = reader.scalars(select(Specialty).where(Specialty.code == "cardio")).one()
        cardio.name_fr = "changed before a savepoint"
        reader.flush()
        savepoint = reader.begin_nested()  # a preview: changed, then rolled back; the change before stays
        cardio.name_en = "changed in the savepoint"
        reader.flush()
        savepoint.rollback()

    session.expire_all()
    assert session.scalars(select(Specialty.name_fr).where(Specialty.code == "cardio")).one() == "Cardiologie"
