"""A saved plan remembers what it was made against (Google, --emulator, an emulator host) and is refused by name
elsewhere, before anything is read: not as "the world changed"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import PROJECT, Runner

pytestmark = pytest.mark.usefixtures("foundation_only")


def test_a_plan_made_under_emulator_says_how_to_apply_it_and_is_refused_without(run: Runner, tmp_path: Path) -> None:
    plan_path = tmp_path / "plan.json"
    made = run("--emulator", "plan", "--out", str(plan_path))
    assert made.out.endswith(f"Apply exactly this plan with: vertex-claude-setup --emulator apply {plan_path}\n")
    assert json.loads(plan_path.read_text())["target"] == "emulator"
    refused = run("apply", str(plan_path))
    assert (refused.code, refused.out) == (1, "")
    assert refused.err.splitlines()[1:] == [
        f"Error: plan {plan_path} was made against the built-in emulator (--emulator), but this apply runs against "
        "Google Cloud",
        f"  fix: apply {plan_path} against the emulator, as it was planned: add --emulator"]
    assert run("--emulator", "apply", str(plan_path)).code == 0


def test_an_emulator_host_is_a_different_target(run: Runner, tmp_path: Path, emulator: Any,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    plan_path = tmp_path / "plan.json"
    host = f"{emulator.address[0]}:{emulator.address[1]}"
    monkeypatch.setenv("VERTEX_CLAUDE_EMULATOR_HOST", host)
    monkeypatch.setenv("VERTEX_CLAUDE_EMULATOR_GRPC_HOST", emulator.grpc_target)
    assert run("--project", PROJECT, "plan", "--out", str(plan_path)).code == 0
    assert json.loads(plan_path.read_text())["target"] == f"emulator {host}"
    monkeypatch.delenv("VERTEX_CLAUDE_EMULATOR_HOST")
    refused = run("--emulator", "--project", PROJECT, "apply", str(plan_path))
    assert refused.code == 1
    assert (f"Error: plan {plan_path} was made against the emulator at {host} (VERTEX_CLAUDE_EMULATOR_HOST), but "
            "this apply runs against the built-in emulator (--emulator)") in refused.err
