"""Shared fixtures: an in-process emulator (the fake Google) and a CLI runner that captures whole output."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from vertex_claude_setup.cli import main as cli
from vertex_claude_setup.emulator import Emulator, State

MODELS = ["claude-sonnet-4-6", "claude-haiku-4-5@20251001"]


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No host settings leak in: each test has its own cwd, config and environment."""
    for name in ("CLOUD_ML_REGION", "GOOGLE_CLOUD_PROJECT", "VERTEX_CLAUDE_CONFIG", "VERTEX_CLAUDE_EMULATOR_HOST",
                 "VERTEX_CLAUDE_EMULATOR_GRPC_HOST", "GOOGLE_APPLICATION_CREDENTIALS", "ANTHROPIC_VERTEX_PROJECT_ID",
                 "ANTHROPIC_VERTEX_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VERTEX_CLAUDE_RETRY_DEADLINE", "0.5")
    monkeypatch.setenv("VERTEX_CLAUDE_RETRY_INITIAL", "0.01")
    monkeypatch.chdir(tmp_path)


def write_config(path: Path, *, models: list[str] | None = None, regions: list[str] | None = None,
                 extra: str = "") -> Path:
    models = models or MODELS
    regions = regions or ["us-east5", "global"]
    text = (f'project = "demo-project"\nregions = {regions!r}\nmodels = {models!r}\n'.replace("'", '"') + extra)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[dict[str, Any]], Emulator]]:
    """Start an emulator from a scenario dict and point the tool at it (VERTEX_CLAUDE_EMULATOR_HOST)."""
    started: list[Emulator] = []

    def start(scenario: dict[str, Any]) -> Emulator:
        emu = Emulator(State.from_scenario(scenario))
        url = emu.start()
        monkeypatch.setenv("VERTEX_CLAUDE_EMULATOR_HOST", url.removeprefix("http://"))
        monkeypatch.setenv("VERTEX_CLAUDE_EMULATOR_GRPC_HOST", emu.grpc_target)
        started.append(emu)
        return emu

    yield start
    for emu in started:
        emu.stop()


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Callable[..., Run]:
    """Run the CLI as a user would (``cli.main``), with the test's config file unless told otherwise."""

    def invoke(*args: str, config: Path | None = None) -> Run:
        cfg = config or tmp_path / "vertex-claude.toml"
        if not cfg.exists():
            write_config(cfg)
        capsys.readouterr()
        try:
            cli.main(["--config", str(cfg), *args])
        except SystemExit as exc:
            code = int(exc.code or 0)
        else:  # pragma: no cover - main always exits
            code = 0
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return invoke


def normalize(text: str) -> str:
    """Replace what varies between runs (latencies, ids, ports) with placeholders."""
    text = re.sub(r"\b\d+ ms\b", "N ms", text)
    text = re.sub(r"req_vrtx_[0-9a-f]+", "REQ_ID", text)
    text = re.sub(r"http://127\.0\.0\.1:\d+", "http://EMULATOR", text)
    text = re.sub(r"after \d+\.\d+s", "after Ns", text)
    return re.sub(r"[ \t]+$", "", text, flags=re.M)


def healthy(**project: Any) -> dict[str, Any]:
    """A project with the API on, billing on, Claude available everywhere the catalog hints."""
    spec = {"enabled_services": ["aiplatform.googleapis.com"], **project}
    return {"projects": {"demo-project": spec}}


def squash(text: str) -> str:
    """Table text with column padding reduced to two spaces (widths vary with measured values)."""
    return re.sub(r" {2,}", "  ", text)
