"""What SQL a request sends: the statements this thread runs on every engine of an app, for tests that
say how many round trips a webhook costs, or that it costs none."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import NamedTuple

import flask
from sqlalchemy import event


class Statement(NamedTuple):
    path: str  # the request it belongs to ("" outside one)
    sql: str
    autocommit: bool | None  # the driver's connection in autocommit (psycopg); None where it has no such flag

    @property
    def words(self) -> str:
        """Its first three words ("INSERT INTO call", "BEGIN IMMEDIATE")."""
        return " ".join(self.sql.split()[:3])


@contextlib.contextmanager
def statements_of_this_thread(app: flask.Flask) -> Iterator[list[Statement]]:
    """Every statement this thread (where the test client and FlaskTransport run the webhooks) sends on
    any engine of ``app`` while the block runs; not the snapshot keeper's or the journal writer's."""
    engines = app.extensions["recours.db"].engines()  # the webhooks have engines of their own
    here, statements = threading.get_ident(), []

    def seen(conn, _cursor, statement, *_args) -> None:
        if threading.get_ident() == here:
            path = flask.request.path if flask.has_request_context() else ""
            statements.append(Statement(path, statement, getattr(conn.connection.dbapi_connection, "autocommit", None)))

    for engine in engines:
        event.listen(engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", seen)
