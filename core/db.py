"""Database plumbing: the declarative base, the aware-UTC column type and a session per request.

One engine per application; a session is opened lazily by :func:`session` inside an application
context and closed at teardown. Handlers commit once at the end of the work; an exception rolls back.
"""

from __future__ import annotations

import logging
import weakref
from datetime import UTC, datetime

from flask import Flask, current_app, g
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from core import breaker as breakers
from core import deadline, sqlite_writers
from core.breaker import DatabaseUnavailable
from core.config import WebhookBudget
from core.pool import ping_after_idle

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """An instant: refuses naive datetimes on the way in, always returns aware UTC on the way out.

    SQLite has no time zone type, so values are normalised to UTC before storage and tagged UTC on read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: instants must be aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


log = logging.getLogger(__name__)

# An execution option of the sessions that only read (see :func:`read_session`).
READS_ONLY = "recours_reads_only"


class ReadSession(Session):
    """A session that only reads, whose transaction ends with COMMIT rather than ROLLBACK.

    psycopg forgets every prepared statement of a connection when it sees a ROLLBACK (it cannot know
    what the transaction dropped), so a pooled connection whose sessions always rolled back would parse
    and plan the hotline's rota question anew on each call. Committing a transaction that wrote nothing
    is as cheap as rolling it back. A session that holds changes, flushed any or executed an INSERT,
    UPDATE or DELETE, or whose transaction failed, still rolls back: nothing is written by closing it.
    """

    def close(self) -> None:
        transaction = self.get_transaction()
        wrote = self.info.pop(_WROTE, False) or self.new or self.dirty or self.deleted
        if transaction is not None and transaction.is_active and not wrote:
            try:
                self.commit()
            except SQLAlchemyError:  # a lost connection: close() below rolls back and returns it
                log.debug("commit of a read-only session failed; rolling back", exc_info=True)
        super().close()


_WROTE = "recours_wrote"
_BREAKER = "recours_breaker"
_PROBE = "recours_breaker_probe"


class _Guarded:
    """A webhook's session refuses at once, before taking a connection, while the database breaker is
    open (:mod:`core.breaker`): the webhook answers from degraded mode instead of waiting its budget."""

    def get_bind(self, *args, **kwargs):
        guard = self.info.get(_BREAKER)
        if guard is not None and not self.info.get(_PROBE):
            breaker, probe_seconds = guard
            if not breaker.allows(probe_seconds):
                raise DatabaseUnavailable("the database did not answer a moment ago; not waiting for it")
            if breaker.is_open:
                self.info[_PROBE] = True  # this session is the probe: its later statements go through too
        return super().get_bind(*args, **kwargs)


class WebhookSession(_Guarded, Session):
    pass


class WebhookReadSession(_Guarded, ReadSession):
    pass


@event.listens_for(ReadSession, "after_flush")
def _flushed(session: Session, _context) -> None:
    session.info[_WROTE] = True


@event.listens_for(ReadSession, "do_orm_execute")
def _executed(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


@event.listens_for(ReadSession, "after_transaction_end")
def _transaction_ended(session: Session, transaction) -> None:
    if transaction.parent is None:  # the whole transaction, not a savepoint rolled back inside it
        session.info.pop(_WROTE, None)


def make_engine(url: str, budget: WebhookBudget | None = None, *, autocommit: bool = False) -> Engine:
    """An engine tuned for the webhook hot path: pooled connections, SQLite in WAL mode.

    With a ``budget`` (the webhooks' engine), every wait is bounded by it: connect, pool checkout,
    statements and locks (PostgreSQL's ``statement_timeout``/``lock_timeout``, SQLite's busy timeout), and
    no wait outlasts the deadline of the request (:mod:`core.deadline`). ``autocommit`` (PostgreSQL):
    connections set in autocommit once, when they connect, for single statements."""
    if url.startswith("sqlite"):
        busy_timeout = budget.sqlite_busy_timeout if budget is not None else 15
        engine = create_engine(url, connect_args={"timeout": busy_timeout, "factory": sqlite_writers.TakingTurns})
        write_lock = sqlite_writers.write_lock_for(engine.url.database)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            # Let SQLAlchemy, not the driver, open transactions (see _begin_immediate).
            dbapi_connection.isolation_level = None
            dbapi_connection.write_lock = write_lock
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
            if budget is not None:
                # A statement still running at the deadline is interrupted ("interrupted" error).
                dbapi_connection.set_progress_handler(deadline.spent, 10_000)

        @event.listens_for(engine, "begin")
        def _begin_immediate(connection) -> None:
            # Webhooks read a call then update it. A deferred SQLite transaction that read a snapshot
            # cannot write after another worker committed; taking the write lock up front serialises
            # the (millisecond-short) transactions instead, the way SELECT ... FOR UPDATE does on PostgreSQL.
            # A reader (a page being read, a "what if" computed before a change) never takes it: in WAL
            # mode it reads its snapshot while the hotline writes. This process's writers take turns
            # first (core.sqlite_writers).
            if connection.get_execution_options().get(READS_ONLY):
                connection.exec_driver_sql("BEGIN")
            else:
                sqlite_writers.begin_immediate(connection, busy_timeout)

        return engine
    _psycopg_keeps_long_statements_converted()
    if budget is None:
        engine = create_engine(url, pool_size=10, max_overflow=10)
        # Not pool_pre_ping, a round trip on every checkout: only a connection that sat idle is pinged.
        ping_after_idle(engine)
        return engine
    options = f"-c statement_timeout={budget.statement_timeout_ms} -c lock_timeout={budget.lock_timeout_ms}"
    engine = create_engine(
        url,
        pool_size=10,
        max_overflow=10,
        pool_timeout=budget.pool_timeout,
        connect_args={"connect_timeout": budget.connect_timeout, "options": options},
        **({"isolation_level": "AUTOCOMMIT"} if autocommit else {}),
    )
    ping_after_idle(engine)
    if engine.dialect.driver == "psycopg":

        @event.listens_for(engine, "do_connect")
        def _connect_within_deadline(_dialect, _record, cargs, cparams):
            from core.pgdeadline import DeadlineConnection

            return DeadlineConnection.connect(*cargs, **cparams)

    return engine


# psycopg turns a statement's %(name)s placeholders into PostgreSQL's $n on every execute, and keeps the
# result only for statements of at most 4,096 bytes (psycopg._queries.MAX_CACHED_STATEMENT_LENGTH, 3.3):
# on_duty's one-statement UNION is about 7 kB, and converting it again cost a quarter of its client CPU.
# Our statements are built once, so their number is bounded; statements with many parameters (bulk
# inserts, whose text varies) stay uncached by psycopg's other limit.
_PSYCOPG_CACHED_STATEMENT_LENGTH = 16_384


def _psycopg_keeps_long_statements_converted() -> None:
    try:
        from psycopg import _queries
    except ImportError:  # another driver
        return
    if isinstance(getattr(_queries, "MAX_CACHED_STATEMENT_LENGTH", None), int):
        _queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH, _PSYCOPG_CACHED_STATEMENT_LENGTH)


class Database:
    """The engines and session factories of one application.

    Webhooks have an engine (and a pool) of their own, every wait bounded by the webhook budget; pages,
    the API, the CLI and the scheduler use the other, whose long reports and migrations are not cut short.
    """

    def __init__(self, url: str, budget: WebhookBudget | None = None) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessions = read_sessions(self.engine)
        self.budget = budget or WebhookBudget()
        self.webhook_engine = make_engine(url, self.budget)
        # SQLite is a local file: it is busy for milliseconds, never away (no breaker).
        self.breaker = breakers.DatabaseBreaker(0 if url.startswith("sqlite") else self.budget.breaker_seconds)
        breakers.watch(self.webhook_engine, self.breaker)
        guard = {_BREAKER: (self.breaker, self.budget.seconds)}
        self.webhook_sessions = sessionmaker(self.webhook_engine, class_=WebhookSession, expire_on_commit=False, info=guard)
        self.webhook_read_sessions = sessionmaker(
            self.webhook_engine.execution_options(**{READS_ONLY: True}), class_=WebhookReadSession, expire_on_commit=False, info=guard
        )
        # The journal's writer and the routing snapshot's keeper work off the request path: not turned
        # away by the breaker (their success closes it), yet bounded by a deadline of their own — on a
        # hung database an unbounded read would hold the keeper's thread, and the snapshot, for ever.
        self.writer_sessions = sessionmaker(self.webhook_engine, expire_on_commit=False)
        self.keeper_read_sessions = read_sessions(self.webhook_engine)
        # A webhook whose whole write is one statement (a call's first webhook: the upsert of its row)
        # needs no transaction around it: on PostgreSQL its connection is in autocommit, one round trip
        # instead of three (BEGIN, the statement, COMMIT). Same budget and breaker as the webhooks'.
        # SQLite: the webhooks' sessions (a local file has no round trip to save).
        # A pool of its own: switching a pooled connection in and out of autocommit at each checkout
        # costs more than the two round trips saved. After an outage met by either pool, the other's
        # connections, opened before it, are as suspect as the lost one's: both are renewed.
        self.autocommit_engine: Engine | None = None
        self.one_statement_sessions = self.webhook_sessions
        if not url.startswith("sqlite"):
            self.autocommit_engine = make_engine(url, self.budget, autocommit=True)
            breakers.watch(self.autocommit_engine, self.breaker)
            _renew_together(self.webhook_engine, self.autocommit_engine)
            self.one_statement_sessions = sessionmaker(self.autocommit_engine, class_=WebhookSession, expire_on_commit=False, info=guard)
        _databases.add(self)

    def engines(self) -> tuple[Engine, ...]:
        """Every engine of this database: pages and commands', the webhooks', the webhooks' autocommit."""
        return tuple(e for e in (self.engine, self.webhook_engine, self.autocommit_engine) if e is not None)

    def dispose(self, close: bool = True) -> None:
        """Release the pools (``close=False`` in a forked child: the parent's sockets are left alone)."""
        for engine in self.engines():
            engine.dispose(close=close)


def _renew_together(*engines: Engine) -> None:
    """When one engine meets an outage, the others drop their pooled connections too (SQLAlchemy renews
    the pool that met it; a stale connection left in another would cost its next webhook the budget).
    Dropped without closing: a socket to a hung server is closed when collected, never waited on."""
    for engine in engines:

        @event.listens_for(engine, "handle_error")
        def _lost(context, others=tuple(e for e in engines if e is not engine)) -> None:
            if breakers.is_outage_of(context):
                for other in others:
                    other.dispose(close=False)


def read_sessions(engine: Engine) -> sessionmaker[ReadSession]:
    """Sessions of ``engine`` that only read: on SQLite their transactions begin deferred, so reading
    never holds the write lock; on PostgreSQL they end with COMMIT (see :class:`ReadSession`)."""
    return sessionmaker(engine.execution_options(**{READS_ONLY: True}), class_=ReadSession, expire_on_commit=False)


_databases: weakref.WeakSet[Database] = weakref.WeakSet()


def after_fork() -> None:
    """In a freshly forked worker (gunicorn's preload_app): never use a connection the parent opened."""
    for database in list(_databases):
        database.dispose(close=False)


def init_app(app: Flask, url: str, budget: WebhookBudget | None = None) -> Database:
    database = Database(url, budget)
    app.extensions["recours.db"] = database

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        for name in ("db_session", "db_read_session", "db_one_statement_session"):
            db_session = g.pop(name, None)
            if db_session is not None:
                db_session.close()
        end_webhook()

    return database


def database() -> Database:
    return current_app.extensions["recours.db"]


def session() -> Session:
    """The session of the current application context, opened on first use (a reader's, when the
    request only reads: see :func:`reads_only`; the webhooks' engine inside a webhook: see
    :func:`serves_webhook`)."""
    if "db_session" not in g:
        db = database()
        if g.get("db_webhook"):
            g.db_session = db.webhook_read_sessions() if g.get("db_reads_only") else db.webhook_sessions()
            g.setdefault("db_webhook_opened", set()).add("db_session")
        else:
            g.db_session = db.read_sessions() if g.get("db_reads_only") else db.sessions()
    return g.db_session


def serves_webhook() -> None:
    """Declare that this request is a webhook: its sessions use the webhooks' engine, whose waits are
    bounded by the budget (start the request's deadline with :func:`core.deadline.start`, end the
    request with :func:`end_webhook`)."""
    g.db_webhook = True


def end_webhook() -> None:
    """At the end of a webhook: close its sessions — giving their connections back is still bounded by
    the deadline — then lift the deadline. (A request served inside an application context that was
    already open, as in tests, leaves that context's own session alone.)"""
    for name in g.pop("db_webhook_opened", ()):
        db_session = g.pop(name, None)
        if db_session is not None:
            db_session.close()
    if g.pop("db_webhook", False):
        deadline.clear()


def one_statement_session() -> Session:
    """For a webhook whose whole write is one statement: on PostgreSQL a session in autocommit (see
    :class:`Database`), else the request's session. Closed with the request's other sessions."""
    db = database()
    if not g.get("db_webhook") or db.one_statement_sessions is db.webhook_sessions:
        return session()
    if "db_one_statement_session" not in g:
        g.db_one_statement_session = db.one_statement_sessions()
        g.setdefault("db_webhook_opened", set()).add("db_one_statement_session")
    return g.db_one_statement_session


def reads_only() -> None:
    """Declare that this request only reads (a GET): its session never takes SQLite's write lock, so a
    page however long to compute never holds up the hotline. Call before the first :func:`session`."""
    g.db_reads_only = True


def reading() -> bool:
    return bool(g.get("db_reads_only"))


def read_session() -> Session:
    """A second session of the request that only reads, for work done before a change is written
    (expanding the rota to judge it): the change's own transaction then lasts milliseconds."""
    if "db_read_session" not in g:
        db = database()
        if g.get("db_webhook"):
            g.db_read_session = db.webhook_read_sessions()
            g.setdefault("db_webhook_opened", set()).add("db_read_session")
        else:
            g.db_read_session = db.read_sessions()
    return g.db_read_session


def dialect_insert(session: Session, model: type[Base]):
    """``INSERT`` with the ``ON CONFLICT`` clauses of the session's database (SQLite or PostgreSQL)."""
    return dialect_insert_for(session.get_bind().dialect.name, model)


def dialect_insert_for(dialect: str, model: type[Base]):
    """``INSERT`` with the ``ON CONFLICT`` clauses of ``dialect`` ("sqlite" or "postgresql")."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise NotImplementedError(dialect)
    return insert(model)


def insert_ignoring_duplicates(session: Session, model: type[Base], values: dict, unique_columns: list[str]) -> bool:
    """INSERT a row unless one with the same unique key exists; True when this call inserted it.

    Concurrent webhooks (a status callback racing the Dial action) may both try to create the same row:
    ON CONFLICT DO NOTHING settles it inside the database instead of failing one of the requests.
    """
    primary_key = list(model.__table__.primary_key.columns)
    statement = (
        dialect_insert(session, model).values(**values).on_conflict_do_nothing(index_elements=unique_columns).returning(*primary_key)
    )
    # A row comes back only when this statement inserted one (rowcount is unreliable with RETURNING).
    return session.execute(statement).first() is not None
