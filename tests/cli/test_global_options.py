"""Global options work after the command too (`plan --project X --emulator`), as users type them."""

from __future__ import annotations

from pathlib import Path

import click
from conftest import PROJECT, Runner

from vertex_claude_setup.cli.main import GLOBAL_OPTIONS, cli


def test_global_options_after_the_command_mean_the_same(run: Runner) -> None:
    after = run("plan", "--project", PROJECT, "--emulator")
    before = run("--emulator", "--project", PROJECT, "plan")
    assert after.code == before.code == 0
    assert after.out == before.out and "Plan: " in after.out


def test_after_a_subcommand_of_a_group_and_a_lazy_command(run: Runner) -> None:
    audit = run("regions", "audit", "--emulator", "--project", PROJECT, "--format", "json")
    assert audit.code == 3 and '"project": "demo-project"' in audit.out  # API off: nothing available yet
    status = run("api", "status", "--project", PROJECT, "--emulator")
    assert (status.code, status.out) == (0, f"aiplatform.googleapis.com on project {PROJECT}: DISABLED\n")


def test_config_after_the_command(run: Runner, tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    other.write_text('project = "other-project"\n', encoding="utf-8")
    result = run("api", "status", "--emulator", "--config", str(other))
    assert (result.code, result.out) == (0, "aiplatform.googleapis.com on project other-project: DISABLED\n")


def test_two_different_values_are_refused_by_name(run: Runner) -> None:
    result = run("--project", "first-project", "plan", "--project", "second-project", "--emulator")
    assert result.code == 1
    assert ("Error: --project given twice: 'first-project' before the command and 'second-project' after it; "
            "pass it once") in result.err
    same = run("--project", PROJECT, "api", "status", "--project", PROJECT, "--emulator")
    assert same.code == 0


def test_a_command_keeps_its_own_option_of_the_same_name(run: Runner, tmp_path: Path) -> None:
    result = run("init", "--project", "own-project", "-o", str(tmp_path / "x.toml"))
    assert result.code == 0
    assert 'project = "own-project"' in (tmp_path / "x.toml").read_text()


def test_every_global_option_is_accepted_after_the_command() -> None:
    group_options = {opt for p in cli.params if isinstance(p, click.Option) and not p.is_eager
                     for opt in p.opts if opt.startswith("--")}
    assert group_options == set(GLOBAL_OPTIONS)
