"""Under ``VERTEX_CLAUDE_EMULATOR_HOST`` every call goes out on Google's own paths.

A recording proxy in front of the emulator stands for any other fake or proxy of Google: it forwards only
the paths Google serves (``/v1/…``, ``/v1beta1/…`` (Model Garden's ``publishers/…`` too), ``/v2/…`` (Org Policy),
``/v3/…``, ``/bigquery/v2/…`` and the aiplatform
operations binding ``/ui/…``) and answers 404 for anything else. The Google host a call was meant for may
only travel in the ``Host`` header, never in the path.
"""

from __future__ import annotations

import http.client
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from conftest import PROJECT, Runner

from vertex_claude_setup.emulator import Emulator, State

GOOGLE_PATH = re.compile(r"^/(v1|v1beta1|v2|v3|bigquery/v2|ui)/(projects|operations|publishers)/[^?#]+(\?.*)?$")
SONNET = "claude-sonnet-4-5@20250929"


@dataclass
class Proxy:
    """What the proxy saw: (method, path, host) forwarded, and the paths it refused."""

    url: str
    forwarded: list[tuple[str, str, str]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def start_proxy(target: tuple[str, int]) -> tuple[ThreadingHTTPServer, Proxy]:
    seen = Proxy(url="")

    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.0: one request per connection, so no idle keep-alive socket outlives the test.
        protocol_version = "HTTP/1.0"

        def log_message(self, *_args: Any) -> None:
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if not GOOGLE_PATH.match(self.path):
                seen.refused.append(self.path)
                self._answer(404, b'{"error": {"code": 404, "message": "not a Google path", "status": "NOT_FOUND"}}',
                             "application/json")
                return
            seen.forwarded.append((self.command, self.path.split("?")[0], str(self.headers.get("Host"))))
            headers = {k: v for k, v in self.headers.items() if k.lower() not in {"connection", "content-length"}}
            upstream = http.client.HTTPConnection(*target, timeout=30)
            try:
                upstream.request(self.command, self.path, body=body, headers=headers)  # Host header kept as sent
                answer = upstream.getresponse()
                data, content_type = answer.read(), answer.getheader("Content-Type") or "application/json"
            finally:
                upstream.close()
            self._answer(answer.status, data, content_type)

        def _answer(self, status: int, data: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    seen.url = f"127.0.0.1:{server.server_address[1]}"
    return server, seen


@pytest.fixture
def proxied(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[Emulator, Proxy]]:
    emu = Emulator(State.from_scenario({}))
    emu.start()
    server, seen = start_proxy(emu.address)
    monkeypatch.setenv("VERTEX_CLAUDE_EMULATOR_HOST", seen.url)
    monkeypatch.setenv("VERTEX_CLAUDE_EMULATOR_GRPC_HOST", emu.grpc_target)  # gRPC Logging: no HTTP proxy
    (tmp_path / "vertex-claude.toml").write_text(
        f'project = "{PROJECT}"\nregions = ["us-east5", "global"]\nmodels = ["{SONNET}"]\n', encoding="utf-8")
    yield emu, seen
    server.shutdown()
    server.server_close()
    emu.stop()


def test_a_proxy_serving_only_google_paths_gets_every_call(run: Runner, proxied: tuple[Emulator, Proxy]) -> None:
    emu, seen = proxied
    results = {args[0]: run(*args) for args in (
        ("apply", "--auto-approve"),              # control plane, publisher config, Claude smoke test (sync SDK)
        ("smoke-test", "--all"),                  # AsyncAnthropicVertex, every pair at once
        ("regions", "audit", "--regions", "us-east5,global", "--models", SONNET),  # aiohttp probes
        ("logging", "verify"),
    )}
    assert seen.refused == []
    for command, result in results.items():
        assert result.code == 0, (command, result.out, result.err)
    claude = {(path.split("/locations/")[1].split("/")[0], path.rsplit(":", 1)[1], host)
              for _method, path, host in seen.forwarded if "/publishers/anthropic/" in path}
    # Every Claude call reached the proxy on Google's path, the intended Google host in its Host header.
    assert ("us-east5", "rawPredict", "us-east5-aiplatform.googleapis.com") in claude
    assert ("global", "rawPredict", "aiplatform.googleapis.com") in claude
    assert {(loc, host) for loc, _verb, host in claude} == {
        ("us-east5", "us-east5-aiplatform.googleapis.com"), ("global", "aiplatform.googleapis.com")}
    assert {verb for _loc, verb, _host in claude} >= {"rawPredict", "fetchPublisherModelConfig",
                                                      "setPublisherModelConfig"}
    # The emulator saw exactly what the proxy forwarded, at the same paths.
    assert sorted((m, p) for m, p, _h in seen.forwarded) == sorted((r.method, r.path) for r in emu.requests)


def test_model_garden_and_org_policy_calls_go_out_on_googles_paths(
        run: Runner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    scenario = {"projects": {PROJECT: {"model_enablement": {"*": "NOT_ENABLED"}}}}
    emu = Emulator(State.from_scenario(scenario))
    emu.start()
    server, seen = start_proxy(emu.address)
    monkeypatch.setenv("VERTEX_CLAUDE_EMULATOR_HOST", seen.url)
    monkeypatch.setenv("VERTEX_CLAUDE_EMULATOR_GRPC_HOST", emu.grpc_target)
    (tmp_path / "vertex-claude.toml").write_text(
        f'project = "{PROJECT}"\nregions = ["us-east5"]\nmodels = ["{SONNET}"]\n[model_garden]\nenable = true\n'
        "[logging]\nenabled = false\naudit_logs = false\n[smoke_test]\nenabled = false\n", encoding="utf-8")
    try:
        results = [run(*args) for args in (("models", "--live"), ("apply", "--auto-approve"), ("doctor",))]
    finally:
        server.shutdown()
        server.server_close()
        emu.stop()
    assert [path for path in seen.refused if path.split("?")[0] != "/tokeninfo"] == []  # oauth2's own path
    assert [r.code for r in results] == [0, 0, 0], [r.out + r.err for r in results]
    garden = {(method, unquote(path.split("?")[0]).rsplit("/", 1)[-1].split("@")[0], host)
              for method, path, host in seen.forwarded if "/publishers/anthropic/models" in path
              and "/locations/" not in path}
    assert ("GET", "models", "aiplatform.googleapis.com") in garden  # ListPublisherModels
    assert ("GET", "claude-sonnet-4-5", "aiplatform.googleapis.com") in garden  # GetPublisherModel
    assert ("POST", "claude-sonnet-4-5:enableModel", "aiplatform.googleapis.com") in garden
    paths = {path for _m, path, _h in seen.forwarded}
    assert f"/v1beta1/projects/{PROJECT}/modelGardenEula:check" in paths
    assert f"/v2/projects/{PROJECT}/policies/vertexai.allowedModels:getEffectivePolicy" in paths
