"""Messages that used to mislead a new user (issue 14, item 7): each now names the real cause and the fix."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import PROJECT, Runner


def test_credentials_variable_naming_a_missing_file(run: Runner, monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    missing = tmp_path / "key.json"
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(missing))
    result = run("--project", PROJECT, "api", "status")
    assert (result.code, result.out) == (1, "")
    assert result.err == (f"Error: GOOGLE_APPLICATION_CREDENTIALS names {missing}, which does not exist\n"
                          "  fix: point it at an existing credentials file, or unset it to use gcloud's "
                          "(`gcloud auth application-default login`)\n")


def test_a_byte_order_mark_is_not_a_syntax_error(run: Runner, tmp_path: Path) -> None:
    (tmp_path / "vertex-claude.toml").write_bytes(b'\xef\xbb\xbfproject = "bom-project"\n')
    result = run("--emulator", "api", "status")
    assert (result.code, result.out) == (0, "aiplatform.googleapis.com on project bom-project: DISABLED\n")


def test_a_config_that_is_not_utf8_is_named(run: Runner, tmp_path: Path) -> None:
    (tmp_path / "vertex-claude.toml").write_bytes(b'project = "d\xe9mo"\n')
    result = run("--emulator", "api", "status")
    assert result.code == 1
    assert result.err == ("Error: config file vertex-claude.toml is not UTF-8 text (byte 0xe9 at offset 12)\n"
                          "  fix: save it as UTF-8: TOML files are UTF-8\n")


def test_a_scenario_is_not_silently_ignored_once_state_exists(run: Runner, tmp_path: Path,
                                                              scenario: Callable[[dict[str, Any]], Path]) -> None:
    assert run("--emulator", "--project", PROJECT, "api", "status").code == 0  # state made from the default
    path = scenario({"projects": {PROJECT: {"billing_enabled": False}}})
    refused = run("--emulator", "--scenario", str(path), "--project", PROJECT, "api", "enable")
    state = tmp_path / ".vertex-claude" / "emulator-state.json"
    assert refused.code == 1
    assert refused.err == (f"Error: scenario {path} is not used: the emulator state {state} already exists, made "
                           "from the default scenario\n"
                           "  fix: run `vertex-claude-setup emulator reset` to start again from the scenario, or drop "
                           "--scenario to go on with the current state\n")
    assert run("--emulator", "--project", PROJECT, "emulator", "reset").code == 0
    first = run("--emulator", "--scenario", str(path), "--project", PROJECT, "api", "enable")
    assert first.code == 1 and "billing is not enabled" in first.err  # the scenario is in force
    again = run("--emulator", "--scenario", str(path), "--project", PROJECT, "api", "status")
    assert again.code == 0  # the same scenario again is fine
    path.write_text(json.dumps({"projects": {PROJECT: {"billing_enabled": True}}}))
    assert run("--emulator", "--scenario", str(path), "--project", PROJECT, "api", "status").code == 1  # edited


@pytest.mark.parametrize("args", [("regions", "best", "claude-sonet-4-5"),
                                  ("smoke-test", "--model", "claude-sonet-4-5")])
def test_a_misspelt_model_is_rejected_before_any_call(run: Runner, args: tuple[str, ...]) -> None:
    result = run("--emulator", "--project", PROJECT, *args)
    assert (result.code, result.out) == (1, "")
    # the catalog's nearest model, dated as Vertex serves it (the family-typo check covers ids too far for that)
    assert "'claude-sonet-4-5': not in the catalog; did you mean 'claude-sonnet-4-5@20250929'?" in result.err


def test_init_to_another_file_says_how_to_use_it(run: Runner, tmp_path: Path) -> None:
    result = run("init", "--project", PROJECT, "-o", "e.toml")
    assert result.out == f"Wrote e.toml for project {PROJECT}. Next: vertex-claude-setup --config e.toml plan\n"
    default = run("init", "--project", PROJECT)
    assert default.out == f"Wrote vertex-claude.toml for project {PROJECT}. Next: vertex-claude-setup plan\n"


def test_model_family_is_case_insensitive(run: Runner) -> None:
    result = run("models", "--family", "Sonnet", "--format", "json")
    assert result.code == 0
    assert {m["family"] for m in json.loads(result.out)["models"]} == {"sonnet"}


@pytest.mark.parametrize("args", [(), ("regions",)])
def test_no_command_prints_help_and_exits_0(run: Runner, args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.code == 0
    assert result.out.startswith(f"Usage: vertex-claude-setup {' '.join(args)}".rstrip() + " [OPTIONS] COMMAND")
    assert result.err == ""
