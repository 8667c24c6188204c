"""The probe sends what the anthropic SDK sends, without importing the SDK (the import costs ~0.7 s and ~85 MiB)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vertex_claude_setup import config
from vertex_claude_setup.availability.probe import PROBE_MESSAGES, probe_pairs
from vertex_claude_setup.emulator import Emulator, State
from vertex_claude_setup.gcp.session import VERTEX_ANTHROPIC_VERSION, EmulatorTarget, GoogleApis

PROJECT = "demo-project"
MODEL = "claude-sonnet-4-5@20250929"
# What decides how Google routes, authorizes and parses the call; the SDK's telemetry headers do not.
HEADERS_THAT_MATTER = ("host", "authorization", "content-type", "accept")


@pytest.fixture
def emulated() -> Iterator[tuple[Emulator, GoogleApis]]:
    emu = Emulator(State.from_scenario({"projects": {PROJECT: {"enabled_services": ["aiplatform.googleapis.com"]}}}))
    url = emu.start()
    cfg = config.load(None, {"project": PROJECT}, environ={})
    yield emu, GoogleApis(cfg, EmulatorTarget(http=url, grpc=emu.grpc_target))
    emu.stop()


def _wire(request: Any) -> tuple[str, str, str, Any, dict[str, str]]:
    return (request.method, request.path, request.host, json.loads(request.raw_body),
            {name: request.headers.get(name, "") for name in HEADERS_THAT_MATTER})


@pytest.mark.parametrize("region", ["us-east5", "global"])
def test_each_probe_is_the_request_the_sdk_sends(emulated: tuple[Emulator, GoogleApis], region: str) -> None:
    emu, google = emulated
    with google.anthropic_client(region) as client:  # the SDK as the smoke test builds it
        client.messages.count_tokens(model=MODEL, messages=PROBE_MESSAGES,
                                     extra_body={"anthropic_version": VERTEX_ANTHROPIC_VERSION})
        client.messages.create(model=MODEL, max_tokens=1, messages=PROBE_MESSAGES,
                               extra_body={"anthropic_version": VERTEX_ANTHROPIC_VERSION})
    sdk = [_wire(r) for r in emu.requests]
    emu.requests.clear()
    probe_pairs(google, PROJECT, [(MODEL, region)], mode="count_tokens")
    probe_pairs(google, PROJECT, [(MODEL, region)], mode="generate")
    ours = [_wire(r) for r in emu.requests]
    assert ours == sdk
    assert sdk[0][1].endswith("/publishers/anthropic/models/count-tokens:rawPredict")
    assert sdk[1][1].endswith(f"/publishers/anthropic/models/{MODEL}:rawPredict")


def test_probes_keep_their_connections_alive_as_the_sdk_does(emulated: tuple[Emulator, GoogleApis]) -> None:
    """A connection carries the next probe to its host (connect and close cost as much as the request)."""
    emu, google = emulated
    with google.anthropic_client("us-east5") as client:
        client.messages.count_tokens(model=MODEL, messages=PROBE_MESSAGES,
                                     extra_body={"anthropic_version": VERTEX_ANTHROPIC_VERSION})
    sdk = emu.requests[0].headers.get("connection", "keep-alive").lower()
    emu.requests.clear()
    probe_pairs(google, PROJECT, [(MODEL, "us-east5"), ("claude-opus-4-5@20251101", "us-east5")])
    ours = {r.headers.get("connection", "keep-alive").lower() for r in emu.requests}  # HTTP/1.1: alive unless "close"
    assert sdk == "keep-alive"
    assert ours == {"keep-alive"}


def test_an_audit_never_imports_the_sdk(tmp_path: Path) -> None:
    code = ("import atexit, sys\n"
            "atexit.register(lambda: print('SDK', 'anthropic' in sys.modules, file=sys.stderr))\n"
            "from vertex_claude_setup.cli.main import main\n"
            f"main(['--emulator', '--project', '{PROJECT}', 'regions', 'audit', '--models', '{MODEL}',"
            " '--regions', 'us-east5,global', '--no-quotas', '--format', 'json'])\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 3, done.stderr  # API off in a fresh emulated project: a finding, not an error
    assert json.loads(done.stdout)["results"]
    assert done.stderr.strip().splitlines()[-1] == "SDK False"
