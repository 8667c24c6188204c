"""Shared helpers of the logging tests: an emulator per test and the real CLI against it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from vertex_claude_setup.cli import main as cli
from vertex_claude_setup.emulator import Emulator, State

PROJECT = "demo-project"
MODEL = "claude-sonnet-4@20250514"


@dataclass
class Env:
    emulator: Emulator
    url: str
    capsys: pytest.CaptureFixture[str]

    @property
    def project(self) -> dict[str, Any]:
        found = self.emulator.state.project(PROJECT)
        assert found is not None
        return found

    def run(self, *args: str) -> tuple[int, str, str]:
        """Run the real CLI; returns (exit code, stdout, stderr)."""
        self.capsys.readouterr()
        try:
            cli.main(list(args))
        except SystemExit as exc:
            code = int(exc.code or 0)
        else:  # pragma: no cover - main always exits
            code = 0
        out = self.capsys.readouterr()
        return code, out.out, out.err

    def paths(self, contains: str) -> list[str]:
        return [f"{r.method} {r.path}" for r in self.emulator.requests if contains in r.path]


def write_config(path: Path, regions: list[str], models: list[str], extra: str = "") -> Path:
    # The smoke-test check (tested on its own) would add its own log row and output line: off here.
    smoke = "" if "[smoke_test]" in extra else "\n[smoke_test]\nenabled = false\n"
    path.write_text(f'project = "{PROJECT}"\nregions = {json.dumps(regions)}\nmodels = {json.dumps(models)}\n'
                    f"{extra}{smoke}", encoding="utf-8")
    return path


@pytest.fixture
def make_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
             capsys: pytest.CaptureFixture[str]) -> Iterator[Any]:
    started: list[Emulator] = []

    def make(scenario: dict[str, Any] | None = None, regions: list[str] | None = None,
             models: list[str] | None = None, extra: str = "") -> Env:
        emu = Emulator(State.from_scenario(scenario or {}))
        url = emu.start()
        started.append(emu)
        monkeypatch.setenv("VERTEX_CLAUDE_EMULATOR_HOST", url.removeprefix("http://"))
        monkeypatch.setenv("VERTEX_CLAUDE_EMULATOR_GRPC_HOST", emu.grpc_target)
        monkeypatch.setenv("VERTEX_CLAUDE_RETRY_INITIAL", "0.01")
        monkeypatch.setenv("VERTEX_CLAUDE_RETRY_DEADLINE", "2")
        config = write_config(tmp_path / "vertex-claude.toml", regions or ["us-east5"], models or [MODEL], extra)
        monkeypatch.setenv("VERTEX_CLAUDE_CONFIG", str(config))
        monkeypatch.chdir(tmp_path)
        return Env(emu, url, capsys)

    yield make
    for emu in started:
        emu.stop()
