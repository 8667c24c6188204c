"""Shared fixtures: run the real CLI in-process against the built-in emulator (no mocks of our code)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from vertex_claude_setup.cli.main import main

PROJECT = "demo-project"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-examples", action="store_true", default=False,
                     help="Rewrite the docs' example outputs and command reference from what the tool prints now.")


@dataclass
class Result:
    code: int
    out: str
    err: str


Runner = Callable[..., Result]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No developer config leaks in: no ADC, no project, no emulator host, fast retries."""
    for name in ("GOOGLE_CLOUD_PROJECT", "CLOUD_ML_REGION", "VERTEX_CLAUDE_EMULATOR_HOST", "VERTEX_CLAUDE_CONFIG",
                 "GOOGLE_APPLICATION_CREDENTIALS", "ANTHROPIC_VERTEX_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)
    for name in list(__import__("os").environ):
        if name.startswith("VERTEX_CLAUDE_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VERTEX_CLAUDE_RETRY_INITIAL", "0.01")
    monkeypatch.setenv("VERTEX_CLAUDE_RETRY_DEADLINE", "2")
    monkeypatch.setenv("VERTEX_CLAUDE_PROPAGATION_DEADLINE", "5")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Runner:
    """Run ``vertex-claude-setup ARGS`` in-process; returns exit code, stdout and stderr."""

    def _run(*args: str) -> Result:
        capsys.readouterr()
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        else:  # pragma: no cover - main always exits
            code = 0
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return _run


@pytest.fixture
def scenario(tmp_path: Path) -> Callable[[dict[str, Any]], Path]:
    """Write an emulator scenario file and return its path."""

    def _write(data: dict[str, Any]) -> Path:
        path = tmp_path / "scenario.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def config_file(tmp_path: Path) -> Callable[[str], Path]:
    """Write ``vertex-claude.toml`` in the test's working directory."""

    def _write(text: str) -> Path:
        path = tmp_path / "vertex-claude.toml"
        path.write_text(text, encoding="utf-8")
        return path

    return _write


@pytest.fixture
def emulator() -> Iterator[Any]:
    """A standalone in-process emulator (default scenario) for tests that drive it by host:port."""
    from vertex_claude_setup.emulator import Emulator, State

    emu = Emulator(State())
    emu.start()
    yield emu
    emu.stop()


FOUNDATION_CONFIG = f"""\
project = "{PROJECT}"
regions = ["us-east5", "global"]

[logging]
enabled = false
audit_logs = false

[smoke_test]
enabled = false
"""


@pytest.fixture
def foundation_only(tmp_path: Path) -> Path:
    """A config with the logging and smoke-test steps off: the foundation's steps alone."""
    path = tmp_path / "vertex-claude.toml"
    path.write_text(FOUNDATION_CONFIG, encoding="utf-8")
    return path
