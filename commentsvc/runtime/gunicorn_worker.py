"""The gunicorn worker `commentsvc serve` runs: gthread, balanced across workers.

gunicorn's gthread worker accepts every connection it can, whether or not a thread
is free to serve it, and keeps it for its keep-alive life. Workers wake together on
the shared listening socket, so one may take all of a burst of connections and
serve them on one core while the others sit idle: half the throughput, at random.
This worker accepts a connection only while one of its threads is free; the others
are left to the workers that have one.
"""

from __future__ import annotations

import json
from typing import Any

from gunicorn import util
from gunicorn.http.errors import LimitRequestLine
from gunicorn.workers.gthread import ThreadWorker

# gunicorn answers a request line over its limit with an HTML page; the API's
# clients get the one JSON error envelope instead.
_TOO_LONG = json.dumps(
    {"error": {"code": 414, "message": "The address is too long. Ask for the counts of "
               "many articles with POST /api/v1/counts and the addresses in the body."}}
).encode()  # fmt: skip


class BalancedThreadWorker(ThreadWorker):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Requests handed to the thread pool and not finished. Only the worker's main
        # thread hands them over and hears they finished, so no lock is needed.
        self._in_flight = 0
        self._max_connections = 0
        super().__init__(*args, **kwargs)

    @property
    def worker_connections(self) -> int:
        # gthread's loop accepts while nr_conns < worker_connections.
        if self._in_flight >= self.cfg.threads:
            return int(self.nr_conns)
        return self._max_connections

    @worker_connections.setter
    def worker_connections(self, value: int) -> None:
        self._max_connections = value

    def enqueue_req(self, conn: Any) -> None:
        self._in_flight += 1
        super().enqueue_req(conn)

    def finish_request(self, conn: Any, fs: Any) -> None:
        self._in_flight -= 1
        super().finish_request(conn, fs)

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        if not isinstance(exc, LimitRequestLine):
            super().handle_error(req, client, addr, exc)
            return
        self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        head = (
            "HTTP/1.1 414 URI Too Long\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(_TOO_LONG)}\r\n\r\n"
        )
        try:
            util.write_nonblock(client, head.encode("latin-1") + _TOO_LONG)
        except OSError:
            self.log.debug("Failed to send error message.")
