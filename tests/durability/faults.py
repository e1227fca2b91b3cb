"""A database that stops answering, as the app's engine sees it: every new connection is refused and
every statement on a pooled one fails with the driver's OperationalError, until the block ends.

(The network-level fault proxy — refuse, hang, slow — lives with the serving tests; this is the
refused case, enough to prove that no fact is lost and that routing goes on without the database.)
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping

from flask import Flask
from sqlalchemy import event, exc


class _Refused(exc.OperationalError):
    def __init__(self) -> None:
        super().__init__("connect", {}, ConnectionRefusedError(111, "Connection refused (test fault)"))


@contextlib.contextmanager
def database_refused(app: Flask) -> Iterator[None]:
    database = app.extensions["recours.db"]
    # Every engine: the webhooks have their own (core.db, bounded by the webhook budget).
    engines = database.engines()

    def refuse_connect(*_args, **_kwargs):
        raise _Refused()

    def refuse_statement(*_args, **_kwargs):
        raise _Refused()

    for engine in engines:
        engine.dispose()  # pooled connections are gone too, as after a failover
        event.listen(engine, "do_connect", refuse_connect, insert=True)  # before the engine's own connector
        event.listen(engine, "before_cursor_execute", refuse_statement)
    try:
        yield
    finally:
        for engine in engines:
            event.remove(engine, "do_connect", refuse_connect)
            event.remove(engine, "before_cursor_execute", refuse_statement)
            engine.dispose()


class RefuseAfter:
    """A simulator transport that lets requests through until one to ``path`` has been answered, then
    refuses the database (the fault ends with :meth:`close`, or just before the first request that
    ``until(url, params)`` picks: the database answers again for it and after it)."""

    def __init__(self, inner, app: Flask, path: str, until: Callable[[str, Mapping[str, str]], bool] | None = None) -> None:
        self.inner, self.app, self.path, self.until = inner, app, path, until
        self._fault: contextlib.AbstractContextManager | None = None
        self.lifted = False

    @property
    def refusing(self) -> bool:
        return self._fault is not None

    def request(self, method, public_url, params, headers, public_base_url):
        if self._fault is not None and self.until is not None and self.until(public_url, params):
            self.close()
            self.lifted = True
        answer = self.inner.request(method, public_url, params, headers, public_base_url)
        if self._fault is None and not self.lifted and self.path in public_url:
            self._fault = database_refused(self.app)
            self._fault.__enter__()
        return answer

    def close(self) -> None:
        if self._fault is not None:
            self._fault.__exit__(None, None, None)
            self._fault = None
