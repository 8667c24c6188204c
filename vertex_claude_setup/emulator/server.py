"""The emulator's HTTP server: routes from discovery documents, handlers registered per API module.

A module registers a handler with ``@handles("serviceusage.v1", "serviceusage.services.get")``; the
path it serves comes from Google's discovery document, never from our own guess. Requests may be
prefixed with ``/_host/<hostname>`` to say which Google host they were meant for (used to emulate
regional vs global Vertex hosts behind one port).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from . import discovery
from .faults import Faults
from .googleerrors import ApiError
from .state import State


@dataclass
class Request:
    """One incoming call, already routed."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    raw_body: bytes
    params: dict[str, str]
    host: str
    state: State
    method_id: str = ""

    def q(self, name: str, default: str = "") -> str:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Response:
    """A JSON answer, or a streamed one (``chunks``) such as server-sent events."""

    status: int = 200
    body: Any = None
    content_type: str = "application/json; charset=UTF-8"
    headers: dict[str, str] = field(default_factory=dict)
    chunks: Iterator[bytes] | None = None


@dataclass(frozen=True)
class Recorded:
    """One request as the emulator saw it."""

    method: str
    path: str
    host: str
    raw_body: bytes

    def json(self) -> Any:
        return json.loads(self.raw_body) if self.raw_body else None


Handler = Callable[[Request], "Response | dict[str, Any] | list[Any]"]


@dataclass(frozen=True)
class Route:
    meth: discovery.Method
    handler: Handler


_ROUTES: list[Route] = []
_CUSTOM: list[tuple[str, str, Handler]] = []  # (http method, regex, handler) for APIs without discovery docs
_MUTATING = {"POST", "PATCH", "PUT", "DELETE"}
# Extra servers (e.g. the gRPC Logging fake): start(state) -> (port, stop)
GRPC_STARTERS: list[Callable[[State, str, int], tuple[int, Callable[[], None]]]] = []


def handles(api: str, method_id: str) -> Callable[[Handler], Handler]:
    """Register ``handler`` for the discovery method ``method_id`` of ``api``."""

    def register(handler: Handler) -> Handler:
        _ROUTES.append(Route(discovery.method(api, method_id), handler))
        _ROUTES.sort(key=lambda r: -r.meth.literal_weight)
        return handler

    return register


def handles_path(http_method: str, regex: str) -> Callable[[Handler], Handler]:
    """Register a handler for an API that has no discovery document here (named groups = params)."""

    def register(handler: Handler) -> Handler:
        _CUSTOM.append((http_method, regex, handler))
        return handler

    return register


_INFRASTRUCTURE = {"server", "state", "faults", "discovery", "googleerrors", "common"}


def _load_modules() -> None:
    """Import every API module of this package: importing one registers its handlers."""
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(_package_path()):
        if info.name not in _INFRASTRUCTURE and not info.name.startswith("_"):
            importlib.import_module(f"{__package__}.{info.name}")


def _package_path() -> list[str]:
    from pathlib import Path

    return [str(Path(__file__).parent)]


def region_of(req: Request) -> str:
    """The Vertex location a request is about (``locationsId`` path parameter), if any."""
    return req.params.get("locationsId", "")


class Emulator:
    """Stateful fake Google, in-process (``start``/``stop``) or standalone (``serve_forever``)."""

    def __init__(self, state: State | None = None) -> None:
        _load_modules()
        self.state = state or State()
        self.faults = Faults(self.state.data)
        self.requests: list[Recorded] = []  # every request, for tests and debugging
        self._http: ThreadingHTTPServer | None = None
        self._stops: list[Callable[[], None]] = []
        self.grpc_port = 0
        self.url = ""  # http://host:port once started

    # -- dispatch ----------------------------------------------------------------------------
    def dispatch(self, method: str, raw_path: str, headers: dict[str, str], raw_body: bytes) -> Response:
        parsed = urllib.parse.urlsplit(raw_path)
        path = urllib.parse.unquote(parsed.path)
        host = headers.get("host", "")
        if path.startswith("/_host/"):
            _, _, host_and_rest = path.partition("/_host/")
            host, _, rest = host_and_rest.partition("/")
            path = "/" + rest
        query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
        self.requests.append(Recorded(method, path, host, raw_body))
        try:
            body: Any = json.loads(raw_body) if raw_body.strip() else None
        except ValueError:
            return _error_response(ApiError("INVALID_ARGUMENT", "Invalid JSON payload received."))
        found = self._route(method, path)
        if found is None:
            return _error_response(ApiError("NOT_FOUND", f"The requested URL {path} was not found on this server."))
        route_meth, handler, params = found
        req = Request(method, path, query, headers, body, raw_body, params, host, self.state,
                      method_id=route_meth.id if route_meth else "")
        fault = self.faults.match(method, path, host, region_of(req))
        if fault.latency_s:
            time.sleep(fault.latency_s)
        if fault.error is not None:
            return _error_response(fault.error)
        try:
            if route_meth is not None and body is not None:
                discovery.validate(route_meth.api, route_meth.request_schema, body)
            result = handler(req)
        except ApiError as exc:
            if method in _MUTATING:
                self.state.save()
            return _error_response(exc)
        if method in _MUTATING or req.method_id.endswith("operations.get"):
            self.state.save()
        return result if isinstance(result, Response) else Response(body=result)

    def _route(self, method: str, path: str) -> tuple[discovery.Method | None, Handler, dict[str, str]] | None:
        import re

        for route in _ROUTES:
            if route.meth.http_method != method:
                continue
            match = route.meth.regex.match(path)
            if match:
                return route.meth, route.handler, match.groupdict()
        for http_method, regex, handler in _CUSTOM:
            if http_method == method:
                match = re.match(regex, path)
                if match:
                    return None, handler, match.groupdict()
        return None

    # -- serving -----------------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0, grpc_port: int | None = None) -> str:
        """Start serving in background threads; returns the base URL (``http://host:port``)."""
        self._http = _Server((host, port), _make_handler(self))
        threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.02}, name="emulator-http",
                         daemon=True).start()
        bound = int(self._http.server_address[1])
        for starter in GRPC_STARTERS:
            # A fixed HTTP port gets gRPC on port + 1 (documented); an ephemeral one gets an ephemeral gRPC port.
            wanted = grpc_port if grpc_port is not None else (bound + 1 if port else 0)
            self.grpc_port, stop = starter(self.state, host, wanted)
            self._stops.append(stop)
        self.url = f"http://{host}:{bound}"
        return self.url

    @property
    def grpc_target(self) -> str:
        assert self._http is not None
        host = str(self._http.server_address[0])
        return f"{host}:{self.grpc_port or self._http.server_address[1] + 1}"

    def stop(self) -> None:
        for stop in self._stops:
            stop()
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
        self.state.save()


class _Server(ThreadingHTTPServer):
    """A deep listen backlog: concurrent clients (60+ connections at once) must queue, not be reset."""

    request_queue_size = 1024

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-answer is normal (timeouts, cancelled probes): no stderr noise.

        Handler bugs never get here: ``dispatch`` turns them into Google-shaped 500 answers.
        """
        return
    daemon_threads = True


def _error_response(exc: ApiError) -> Response:
    return Response(status=exc.http_code, body=exc.body())


def _make_handler(emulator: Emulator) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms delayed-ACK stalls

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                resp = emulator.dispatch(self.command, self.path, headers, raw)
            except Exception as exc:  # a bug in the emulator must not hang the client
                resp = _error_response(ApiError("INTERNAL", f"emulator error: {type(exc).__name__}: {exc}"))
            self.send_response(resp.status)
            self.send_header("Content-Type", resp.content_type)
            for key, value in resp.headers.items():
                self.send_header(key, value)
            if resp.chunks is not None:
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for chunk in resp.chunks:
                    self.wfile.write(b"%X\r\n" % len(chunk) + chunk + b"\r\n")
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
                return
            data = resp.body if isinstance(resp.body, bytes) else json.dumps(resp.body).encode()
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

    return _Handler
