"""Fleet tests: a generated organization in the emulator, the real CLI against it (VERTEX_CLAUDE_EMULATOR_HOST)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from vertex_claude_setup.emulator import Emulator, State

ORG = "123456789012"
MIX = {"api_off": 0.1, "billing_off": 0.05, "no_permission": 0.05, "delete_requested": 0.05, "logging_on": 0.2,
       "logging_partial": 0.1, "unavailable": 0.1}
CONFIG = """\
regions = ["us-east5", "global"]
models = ["claude-sonnet-4-5@20250929", "claude-haiku-4-5@20251001"]
"""


def organization(projects: int = 20, seed: int = 3, **extra: Any) -> dict[str, Any]:
    spec = {"seed": seed, "projects": projects, "folders": [2, 2], "labels": {"team": ["red", "blue"]}, "mix": MIX,
            "models": ["claude-sonnet-4-5@20250929", "claude-haiku-4-5@20251001"], **extra}
    return {"organization": spec}


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Callable[..., Emulator]]:
    """Start the emulator with a scenario, write the shared config, point the CLI at both."""
    started: list[Emulator] = []

    def start(scenario: dict[str, Any] | None = None, config: str = CONFIG) -> Emulator:
        emu = Emulator(State.from_scenario(scenario if scenario is not None else organization()))
        url = emu.start()
        started.append(emu)
        monkeypatch.setenv("VERTEX_CLAUDE_EMULATOR_HOST", url.removeprefix("http://"))
        monkeypatch.setenv("VERTEX_CLAUDE_EMULATOR_GRPC_HOST", emu.grpc_target)
        (tmp_path / "vertex-claude.toml").write_text(config, encoding="utf-8")
        return emu

    yield start
    for emu in started:
        emu.stop()


def kinds(emu: Emulator) -> dict[str, str]:
    """project -> the state the scenario gave it."""
    return {p["projectId"]: p["fleet_kind"] for p in emu.state.data["projects"].values() if "fleet_kind" in p}


def rows(report_json: str) -> dict[str, dict[str, Any]]:
    return {r["project"]: r for r in json.loads(report_json)["projects"]}
