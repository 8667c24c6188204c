"""A real saved plan to tamper with: logging switched off for two pairs after a full apply, so the plan holds
two concrete request-logging changes (model, region, the loggingConfig apply would send)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import PROJECT, Runner

MODEL = "claude-sonnet-4-5@20250929"
REGIONS = ["us-east5", "europe-west1"]
CONFIG = f"""\
project = "{PROJECT}"
regions = {json.dumps(REGIONS)}
models = ["{MODEL}"]

[smoke_test]
enabled = false
"""


@pytest.fixture
def plan_path(run: Runner, config_file: Callable[[str], Path], tmp_path: Path) -> Path:
    """The saved plan (``plan.json``) beside the config; the emulator state is in ``.vertex-claude/``."""
    config_file(CONFIG)
    assert run("--emulator", "apply", "--auto-approve").code == 0
    for region in REGIONS:
        assert run("--emulator", "logging", "disable", "--yes", "--model", MODEL, "--region", region).code == 0
    path = tmp_path / "plan.json"
    made = run("--emulator", "plan", "--out", str(path), "--detailed-exitcode")
    assert made.code == 2, made.out + made.err
    return path
