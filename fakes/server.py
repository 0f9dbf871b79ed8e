"""A local HTTP server for the fakes that speak each tool's API (tests, demo, benchmarks).

A fake is a handler function from `Request` to `Response`; the server logs every request, counts
the ones nothing answered (tests fail on those), and can inject faults (429 with `Retry-After`,
5xx, a dropped connection) ahead of the handler, so every connector is tested against the same
failure modes.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Response:
    status: int = 200
    body: Any = None  # dict/list → JSON; str/bytes sent as is
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        headers = dict(self.headers)
        if isinstance(self.body, bytes):
            return self.body, headers
        if isinstance(self.body, str):
            return self.body.encode(), headers
        headers.setdefault("Content-Type", "application/json")
        return json.dumps(self.body).encode(), headers


Handler = Callable[[Request], Response | None]


@dataclass
class Fault:
    """Answer the next `times` requests whose path starts with `path` with this instead."""

    path: str
    status: int
    times: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


class LocalServer:
    """Serves one handler on 127.0.0.1 at a free port, in a background thread."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[Request] = []
        self.unanswered: list[Request] = []
        self.faults: list[Fault] = []
        self._lock = threading.Lock()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler_class(self))
        self._http.daemon_threads = True
        # A short poll: `stop()` waits for the serving loop to notice (0.5 s by default, per test).
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._http.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()

    def check_no_surprises(self) -> None:
        with self._lock:
            surprises = [f"no answer for {r.method} {r.path}" for r in self.unanswered]
            surprises += [f"fault never reached: {f.status} on {f.path}" for f in self.faults]
        if surprises:
            raise AssertionError("; ".join(surprises))

    def inject(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def count(self, path_prefix: str = "/") -> int:
        """Requests received whose path starts with `path_prefix` (faults included)."""
        with self._lock:
            return sum(1 for r in self.requests if r.path.startswith(path_prefix))

    def answer(self, request: Request) -> Response:
        with self._lock:
            self.requests.append(request)
            fault = next((f for f in self.faults if request.path.startswith(f.path)), None)
            if fault is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
        if fault is not None:
            return Response(fault.status, fault.body or {"error": "injected"}, fault.headers)
        response = self.handler(request)
        if response is None:
            with self._lock:
                self.unanswered.append(request)
            return Response(404, {"error": f"no fake answer for {request.method} {request.path}"})
        return response


def _make_handler_class(server: LocalServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else every small response waits ~40 ms for an ACK

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(
                method=self.command,
                path=parts.path,
                query=parse_qs(parts.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            response = server.answer(request)
            body, headers = response.encoded()
            self.send_response(response.status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the server's request log is `LocalServer.requests`."""

    return _Handler


def free_port() -> int:
    """A port nothing listens on now: for a server that cannot bind port 0 itself, or a
    connection that must be refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(handler: Handler) -> Iterator[LocalServer]:
    """A started server that, once the block has run cleanly, fails on surprises (STYLE §6): a
    request it had no answer for, or an injected fault nobody ran into."""
    server = LocalServer(handler).start()
    try:
        yield server
    finally:
        server.stop()
    server.check_no_surprises()


__all__ = ["Fault", "Handler", "LocalServer", "Request", "Response", "free_port", "serving"]
