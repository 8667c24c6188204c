"""plan and apply say which project they act on and where it came from; the environment never silently
redirects an apply away from the project the config file names."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Runner

FILE = 'project = "file-project"\n[logging]\nenabled = false\n[smoke_test]\nenabled = false\n'


def test_plan_and_apply_name_the_project_and_its_source_first(run: Runner,
                                                               config_file: Callable[[str], Path]) -> None:
    config_file(FILE)
    from_file = run("--emulator", "plan")
    assert from_file.err.splitlines()[0] == "Project file-project (from vertex-claude.toml)"
    from_flag = run("--emulator", "--project", "flag-project", "apply", "--auto-approve")
    assert from_flag.code == 0
    assert from_flag.err.splitlines()[0] == ('Project flag-project (from flag --project, which overrides '
                                             'project = "file-project" in vertex-claude.toml)')


@pytest.mark.parametrize("variable", ["GOOGLE_CLOUD_PROJECT", "VERTEX_CLAUDE_PROJECT"])
def test_environment_overriding_the_file_is_said_and_apply_refuses_it(
        run: Runner, config_file: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        variable: str) -> None:
    config_file(FILE)
    monkeypatch.setenv(variable, "env-project")
    planned = run("--emulator", "plan")
    assert planned.code == 0
    assert planned.err.splitlines()[0] == (f'Project env-project (from environment {variable}, which overrides '
                                           'project = "file-project" in vertex-claude.toml)')
    refused = run("--emulator", "apply", "--auto-approve")
    assert (refused.code, refused.out) == (1, "")
    assert refused.err.splitlines()[1:] == [
        f'Error: {variable}=env-project overrides project = "file-project" in vertex-claude.toml; apply changes '
        "a project other than the file's only when --project names it",
        f"  fix: pass --project env-project to apply to env-project, or unset {variable} to apply to file-project"]
    state = json.loads((tmp_path / ".vertex-claude" / "emulator-state.json").read_text())
    assert state["projects"]["env-project"]["services"] == {}  # nothing was changed (plan only read it)
    explicit = run("--emulator", "--project", "env-project", "apply", "--auto-approve")
    assert explicit.code == 0 and "Apply complete! 1 applied." in explicit.out


def test_environment_alone_is_fine(run: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-project")
    monkeypatch.setenv("VERTEX_CLAUDE_LOGGING_ENABLED", "false")
    monkeypatch.setenv("VERTEX_CLAUDE_SMOKE_TEST_ENABLED", "false")
    result = run("--emulator", "apply", "--auto-approve")
    assert result.code == 0
    assert result.err.splitlines()[0] == "Project env-project (from environment GOOGLE_CLOUD_PROJECT)"


def test_where_the_project_came_from_does_not_change_the_config_digest(
        run: Runner, config_file: Callable[[str], Path], tmp_path: Path) -> None:
    config_file(FILE)
    plan_path = tmp_path / "plan.json"
    assert run("--emulator", "plan", "--out", str(plan_path)).code == 0
    applied = run("--emulator", "--project", "file-project", "apply", str(plan_path))
    assert applied.code == 0, applied.err
