"""The emulator's HTTP server: routes from discovery documents, handlers registered per API module.

A module registers a handler with ``@handles("serviceusage.v1", "serviceusage.services.get")``; the
path it serves comes from Google's discovery document, never from our own guess. Every API answers on
one port at Google's own paths; which Google host a request was meant for (regional vs global Vertex
hosts) is read from its ``Host`` header, as a recording proxy in front of Google would see it.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from vertex_claude_setup.emulator import discovery

from . import admin, injection
from .faults import Faults, write_concurrently
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
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    query: str = ""  # the raw query string (tests check that no secret travels in a URL)

    def json(self) -> Any:
        return json.loads(self.raw_body) if self.raw_body else None


Handler = Callable[[Request], "Response | dict[str, Any] | list[Any]"]


@dataclass(frozen=True)
class Route:
    meth: discovery.Method
    handler: Handler


_ROUTES: list[Route] = []
# (http method, regex, handler, Google service) for APIs without discovery docs
_CUSTOM: list[tuple[str, str, Handler, str]] = []
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


def handles_path(http_method: str, regex: str, service: str = "") -> Callable[[Handler], Handler]:
    """Register a handler for an API that has no discovery document here (named groups = params).

    ``service`` (``cloudquotas.googleapis.com``) puts the route under that API's rate quotas.
    """

    def register(handler: Handler) -> Handler:
        _CUSTOM.append((http_method, regex, handler, service))
        return handler

    return register


_INFRASTRUCTURE = {"server", "state", "faults", "discovery", "googleerrors", "common", "admin", "injection"}


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
        from .ratequota import RateQuotas

        self.rate_quotas = RateQuotas(self.state)
        self.requests: list[Recorded] = []  # every request, for tests and debugging
        self._http: _HttpServer | None = None
        self._stops: list[Callable[[], None]] = []
        self.grpc_port = 0
        self.url = ""  # http://host:port once started

    # -- dispatch ----------------------------------------------------------------------------
    def dispatch(self, method: str, raw_path: str, headers: dict[str, str], raw_body: bytes) -> Response:
        """Answer one request, injected latency included (blocking)."""
        latency, answer = self.accept(method, raw_path, headers, raw_body)
        if latency:
            time.sleep(latency)
        return answer()

    def accept(self, method: str, raw_path: str, headers: dict[str, str],
               raw_body: bytes, peer: str | None = None) -> tuple[float, Callable[[], Response]]:
        """Record and route one request: (seconds of injected latency, the work that answers it).

        Split in two so the server waits out the latency without holding a thread per request. The work
        raises ``injection.ConnectionReset`` when a fault drops the connection. ``peer`` is the caller's
        address (None in-process): the ``/_emulator/`` admin surface answers loopback callers only.
        """
        parsed = urllib.parse.urlsplit(raw_path)
        path = urllib.parse.unquote(parsed.path)
        if path.startswith(admin.PREFIX) and admin.allowed(peer):
            return 0.0, lambda: Response(*admin.handle(self.state, method, path, raw_body))
        host = headers.get("host", "")
        query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
        self.requests.append(Recorded(method, path, host, raw_body, {k.lower(): v for k, v in headers.items()},
                                      parsed.query))
        try:
            if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
                # OAuth2's token endpoint takes a form, not JSON
                body: Any = dict(urllib.parse.parse_qsl(raw_body.decode("utf-8"), keep_blank_values=True))
            else:
                body = json.loads(raw_body) if raw_body.strip() else None
        except ValueError:
            return 0.0, lambda: _error_response(ApiError("INVALID_ARGUMENT", "Invalid JSON payload received."))
        found = self._route(method, path)
        if found is None:
            return 0.0, lambda: _error_response(
                ApiError("NOT_FOUND", f"The requested URL {path} was not found on this server."))
        route_meth, handler, params, service = found
        req = Request(method, path, query, headers, body, raw_body, params, host, self.state,
                      method_id=route_meth.id if route_meth else "")
        over = self.rate_quotas.admit(service, headers, params) if service else None
        if over is not None:
            return 0.0, lambda: _error_response(over)
        fault = self.faults.match(method, path, host, region_of(req))

        def work() -> Response:
            if fault.error is not None:
                return _error_response(fault.error)
            # An endpoint the enable has not reached yet (scenario ``[[propagation]]``).
            lagging = injection.propagating(self.state, service, method, path) if service else None
            if lagging is not None:
                self.state.save()  # the window used one of its calls
                return _error_response(lagging)
            before = False
            try:
                # Another client's write that lands just before this request (scenario ``concurrent_writes``).
                before = write_concurrently(self.state, method, path, host, "before")
                if route_meth is not None and body is not None:
                    discovery.validate(route_meth.api, route_meth.request_schema, body)
                result = handler(req)
            except ApiError as exc:
                if method in _MUTATING or before:
                    self.state.save()
                return _error_response(exc)
            if method in _MUTATING or req.method_id.endswith("operations.get") or before:
                self.state.save()
            return result if isinstance(result, Response) else Response(body=result)

        def answer() -> Response:
            if fault.reset == "before":
                raise injection.ConnectionReset(path)
            resp = work()
            # Another client's write right after this request was answered (scenario ``concurrent_writes``).
            if write_concurrently(self.state, method, path, host, "after", resp.status):
                self.state.save()
            if fault.reset == "after":
                raise injection.ConnectionReset(path)
            return resp

        return fault.latency_s, answer

    def _route(self, method: str, path: str) -> tuple[discovery.Method | None, Handler, dict[str, str], str] | None:
        """(discovery method, handler, path parameters, Google service name) for one request."""
        import re

        for route in _ROUTES:
            if route.meth.http_method != method:
                continue
            match = route.meth.regex.match(path)
            if match:
                return route.meth, route.handler, match.groupdict(), discovery.service(route.meth.api)
        for http_method, regex, handler, service in _CUSTOM:
            if http_method == method:
                match = re.match(regex, path)
                if match:
                    return None, handler, match.groupdict(), service
        return None

    # -- serving -----------------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0, grpc_port: int | None = None) -> str:
        """Start serving in background threads; returns the base URL (``http://host:port``)."""
        self._http = _HttpServer(self, host, port)
        bound = self._http.port
        for starter in GRPC_STARTERS:
            # A fixed HTTP port gets gRPC on port + 1 (documented); an ephemeral one gets an ephemeral gRPC port.
            wanted = grpc_port if grpc_port is not None else (bound + 1 if port else 0)
            self.grpc_port, stop = starter(self.state, host, wanted)
            self._stops.append(stop)
        self.url = f"http://{host}:{bound}"
        return self.url

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) the HTTP server listens on."""
        assert self._http is not None, "emulator not started"
        return self._http.host, self._http.port

    @property
    def grpc_target(self) -> str:
        host, port = self.address
        return f"{host}:{self.grpc_port or port + 1}"

    def stop(self) -> None:
        for stop in self._stops:
            stop()
        if self._http is not None:
            self._http.close()
        self.state.save()


class _HttpServer:
    """The HTTP side: an asyncio server on its own thread, like Google's frontends indifferent to how
    many calls are in flight (a thread per connection made a burst of 140 probes queue for ~30 ms).

    Handlers run on the server's loop (they are quick); injected latency is an ``asyncio.sleep``.
    """

    def __init__(self, emulator: Emulator, host: str, port: int) -> None:
        import asyncio

        self.host = host
        self._emulator = emulator
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self.port = 0
        self._thread = threading.Thread(target=self._run, args=(host, port), name="emulator-http", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._failure is not None:
            self._thread.join()
            raise self._failure

    def _run(self, host: str, port: int) -> None:
        import asyncio

        from aiohttp import web

        loop = self._loop
        asyncio.set_event_loop(loop)
        app = web.Application(client_max_size=256 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # In-flight calls (a fault may hold one for seconds) get a second to finish when it stops. A call whose
        # client hung up (its timeout passed while a fault stalled it) ends then, as if never received.
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0,
                               handler_cancellation=True)
        try:
            loop.run_until_complete(runner.setup())
            # A deep listen backlog: a burst of concurrent clients must queue, not be reset.
            site = web.TCPSite(runner, host, port, backlog=1024, reuse_address=True)
            loop.run_until_complete(site.start())
            self.port = int(runner.addresses[0][1])
        except BaseException as exc:  # e.g. the port is taken: raised again in the starting thread
            self._failure = exc
            loop.run_until_complete(runner.cleanup())
            loop.close()
            self._ready.set()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(runner.cleanup())
            loop.run_until_complete(_cancel_the_rest())
            loop.close()

    async def _handle(self, request: Any) -> Any:
        import asyncio

        from aiohttp import web

        raw = await request.read()
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            latency, answer = self._emulator.accept(request.method, request.raw_path, headers, raw, request.remote)
            if latency:
                await asyncio.sleep(latency)
            resp = answer()
        except injection.ConnectionReset:
            _reset(request.transport)
            raise asyncio.CancelledError() from None
        except Exception as exc:  # a bug in the emulator must not hang the client
            resp = _error_response(ApiError("INTERNAL", f"emulator error: {type(exc).__name__}: {exc}"))
        out_headers = {"Content-Type": resp.content_type, **resp.headers}
        if resp.chunks is None:
            data = resp.body if isinstance(resp.body, bytes) else json.dumps(resp.body).encode()
            return web.Response(status=resp.status, body=data, headers=out_headers)
        stream = web.StreamResponse(status=resp.status, headers=out_headers)
        stream.enable_chunked_encoding()
        await stream.prepare(request)
        for chunk in resp.chunks:
            await stream.write(chunk)
        await stream.write_eof()
        return stream

    def close(self) -> None:
        # Queued even if the loop has not reached run_forever yet: it then stops on its first turn.
        if not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


async def _cancel_the_rest() -> None:
    """Cancel the calls still waiting out an injected latency past the shutdown grace, and let them end."""
    import asyncio

    rest = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in rest:
        task.cancel()
    await asyncio.gather(*rest, return_exceptions=True)


def _reset(transport: Any) -> None:
    """Close with a TCP RST (SO_LINGER 0), as a dropped connection looks to a client."""
    import socket
    import struct

    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


def _error_response(exc: ApiError) -> Response:
    return Response(status=exc.http_code, body=exc.body())
