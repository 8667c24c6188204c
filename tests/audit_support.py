"""Helpers for the region-audit tests: an emulator from a scenario dict, and the CLI run in-process."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from vertex_claude_setup import config
from vertex_claude_setup.cli import main as cli
from vertex_claude_setup.emulator import Emulator, State
from vertex_claude_setup.gcp.session import EmulatorTarget, GoogleApis

ON = ["aiplatform.googleapis.com", "cloudquotas.googleapis.com"]


@contextlib.contextmanager
def emulator(monkeypatch: pytest.MonkeyPatch, scenario: dict[str, Any]) -> Iterator[Emulator]:
    """Start the emulator and point the tool at it (VERTEX_CLAUDE_EMULATOR_HOST)."""
    emu = Emulator(State.from_scenario(scenario))
    url = emu.start()
    monkeypatch.setenv("VERTEX_CLAUDE_EMULATOR_HOST", url.removeprefix("http://"))
    monkeypatch.setenv("VERTEX_CLAUDE_EMULATOR_GRPC_HOST", emu.grpc_target)
    try:
        yield emu
    finally:
        emu.stop()


def google_for(emu: Emulator, project: str) -> GoogleApis:
    """A GoogleApis for ``project`` pointed at ``emu`` (library-level tests)."""
    host, port = emu.address
    cfg = config.load(None, {"project": project}, environ={})
    return GoogleApis(cfg, EmulatorTarget(http=f"http://{host}:{port}", grpc=emu.grpc_target))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the CLI like a user would; returns (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exc:
        cli.main(list(argv))
    out, err = capsys.readouterr()
    code = exc.value.code
    return (code if isinstance(code, int) else 0), out, err


def claude_requests(emu: Emulator) -> list[str]:
    """Paths of the Claude calls the emulator received (count-tokens and rawPredict)."""
    return [r.path for r in emu.requests if "/publishers/anthropic/models/" in r.path]
