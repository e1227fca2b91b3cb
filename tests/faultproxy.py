"""A TCP proxy between the app and its database that plays the bad days (issue 9).

    proxy = FaultProxy(("127.0.0.1", 5432))   # listens on 127.0.0.1:proxy.port
    proxy.refuse()      # the server is down: connections refused, open ones reset
    proxy.hang()        # a failover, a full disk, a partition: connections accepted, nothing forwarded
    proxy.slow(2.0)     # every round trip takes 2 s longer
    proxy.restore()     # back to normal (connections left hanging are dropped, as after a failover)
    proxy.close()

Each accepted connection is a pair of pump threads. Delays apply to what the client sends, so a
request-response exchange (a round trip) is late by the delay once.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

PASS, REFUSE, HANG, SLOW = "pass", "refuse", "hang", "slow"


class FaultProxy:
    def __init__(self, upstream: tuple[str, int], host: str = "127.0.0.1", port: int = 0) -> None:
        self.upstream = upstream
        self.host = host
        self.mode = PASS
        self.delay = 0.0
        self.accepted = 0  # connections accepted so far (the app opened that many)
        self._changed = threading.Condition()
        self._epoch = 0  # bumped by restore() and refuse(): connections of an older epoch are dropped
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._closed = False
        self._listener: socket.socket | None = None
        self.port = self._listen(port)

    # -- control ------------------------------------------------------------------------------------

    def refuse(self) -> None:
        """Stop listening and reset every open connection: new connections are refused at once."""
        with self._changed:
            self.mode = REFUSE
            self._epoch += 1
            self._changed.notify_all()
        self._stop_listening()
        self._drop_all()

    def hang(self) -> None:
        """Accept connections and forward nothing, in either direction, until restored."""
        self._set(HANG)

    def slow(self, seconds: float) -> None:
        """Forward everything, each message from the client ``seconds`` late."""
        self.delay = seconds
        self._set(SLOW)

    def restore(self) -> None:
        """Forward normally again. Connections that were hung or refused are dropped: their state is
        unknown to both ends (a real failover resets them too)."""
        was = self.mode
        with self._changed:
            self.mode = PASS
            self.delay = 0.0
            if was in (HANG, REFUSE):
                self._epoch += 1
            self._changed.notify_all()
        if was == HANG:
            self._drop_all()
        if self._listener is None:
            self._listen(self.port)

    def close(self) -> None:
        self._closed = True
        with self._changed:
            self._epoch += 1
            self._changed.notify_all()
        self._stop_listening()
        self._drop_all()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def url_for(self, database_url: str) -> str:
        """``database_url`` (a PostgreSQL URL) pointed at this proxy."""
        from sqlalchemy.engine import make_url

        return make_url(database_url).set(host=self.host, port=self.port).render_as_string(hide_password=False)

    # -- plumbing -----------------------------------------------------------------------------------

    def _set(self, mode: str) -> None:
        with self._changed:
            self.mode = mode
            self._changed.notify_all()

    def _listen(self, port: int) -> int:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, port))
        listener.listen(64)
        self._listener = listener
        thread = threading.Thread(target=self._accept, args=(listener,), name="faultproxy-accept", daemon=True)
        thread.start()
        self._threads.append(thread)
        return listener.getsockname()[1]

    def _stop_listening(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            # shutdown() first: a plain close() would leave the socket listening under the blocked accept().
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()

    def _accept(self, listener: socket.socket) -> None:
        while not self._closed:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by refuse() or close()
            self.accepted += 1
            epoch = self._epoch
            self._track(client)
            if self.mode == HANG:
                # Accepted by the kernel, never answered: the client waits for the server's greeting.
                thread = threading.Thread(target=self._hold, args=(client, epoch), daemon=True)
            else:
                thread = threading.Thread(target=self._connect, args=(client, epoch), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _hold(self, client: socket.socket, epoch: int) -> None:
        with self._changed:
            self._changed.wait_for(lambda: self._epoch != epoch or self._closed)
        self._drop(client)

    def _connect(self, client: socket.socket, epoch: int) -> None:
        try:
            server = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            self._drop(client)
            return
        server.settimeout(None)
        self._track(server)
        for source, target, delayed in ((client, server, True), (server, client, False)):
            thread = threading.Thread(target=self._pump, args=(source, target, delayed, epoch), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _pump(self, source: socket.socket, target: socket.socket, delayed: bool, epoch: int) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                with self._changed:
                    # Held while hung; dropped if the connection did not survive (restore after a hang).
                    self._changed.wait_for(lambda: self.mode != HANG or self._epoch != epoch)
                    if self._epoch != epoch:
                        break
                    delay = self.delay if (delayed and self.mode == SLOW) else 0.0
                if delay:
                    time.sleep(delay)
                target.sendall(data)
        except OSError:
            pass
        finally:
            self._drop(source)
            self._drop(target)

    def _track(self, sock: socket.socket) -> None:
        with self._changed:
            self._sockets.add(sock)

    def _drop(self, sock: socket.socket) -> None:
        with self._changed:
            self._sockets.discard(sock)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            sock.close()

    def _drop_all(self) -> None:
        with self._changed:
            sockets = list(self._sockets)
        for sock in sockets:
            self._drop(sock)
