"""A user's mistake is one line naming the file, key or port and the fix — never "a bug", never a traceback."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import PROJECT, Runner


def test_scenario_typo_is_refused_with_suggestion(run: Runner, scenario: Callable[[dict[str, Any]], Path]) -> None:
    path = scenario({"projects": {PROJECT: {"billing": False}}})
    result = run("--emulator", "--scenario", str(path), "--project", PROJECT, "plan")
    assert (result.code, result.out) == (1, "")
    assert result.err == (f"Error: {path}: unknown scenario key 'projects.{PROJECT}.billing'\n"
                          f"  fix: did you mean 'projects.{PROJECT}.billing_enabled'?\n")


def test_scenario_with_bad_syntax(run: Runner, tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("x = [")
    result = run("--emulator", "--scenario", str(path), "--project", PROJECT, "plan")
    assert result.code == 1
    assert result.err.startswith(f"Error: scenario file {path} is not valid toml: ")
    assert result.err.endswith("  fix: fix the syntax at that line\n")


def test_corrupt_emulator_state(run: Runner, tmp_path: Path) -> None:
    state = tmp_path / ".vertex-claude" / "emulator-state.json"
    state.parent.mkdir()
    state.write_text("{")
    result = run("--emulator", "--project", PROJECT, "plan")
    assert result.code == 1
    assert result.err.startswith(f"Error: emulator state {state} is not readable: ")
    assert result.err.endswith("  fix: run `vertex-claude-setup emulator reset` (or delete the file)\n")


def test_busy_and_invalid_ports(run: Runner) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run("emulator", "serve", "--port", str(port))
    assert result.code == 1
    assert result.err == (f"Error: cannot listen on 127.0.0.1:{port}: Address already in use\n"
                          "  fix: pick a free port with --port (and --grpc-port), or stop what uses it\n")
    invalid = run("emulator", "serve", "--port", "99999")
    assert invalid.code == 1 and "99999 is not in the range 1<=x<=65534" in invalid.err


def test_init_never_writes_an_invalid_file(run: Runner, tmp_path: Path) -> None:
    result = run("init", "--project", "BAD_ID")
    assert result.code == 1
    assert result.err.startswith("Error: flag --project: 'BAD_ID' is not a valid project ID\n")
    assert not (tmp_path / "vertex-claude.toml").exists()
    unwritable = run("init", "--project", PROJECT, "--output", str(tmp_path / "no" / "such" / "dir.toml"))
    assert unwritable.code == 1
    assert unwritable.err == (f"Error: cannot write {tmp_path / 'no' / 'such' / 'dir.toml'}: No such file or "
                              "directory\n  fix: pass a writable path with --output\n")


def test_plan_out_to_missing_folder(run: Runner, tmp_path: Path, foundation_only: Path) -> None:
    target = tmp_path / "missing" / "plan.json"
    result = run("--emulator", "plan", "--out", str(target))
    assert result.code == 1
    assert result.err == (f"Project {PROJECT} (from {foundation_only.name})\n"
                          f"Error: cannot write plan file {target}: No such file or directory\n"
                          "  fix: pass a writable path to --out (its folder must exist)\n")


def test_unknown_key_suggestion_compares_within_the_section(run: Runner,
                                                            config_file: Callable[[str], Path]) -> None:
    config_file(f'project = "{PROJECT}"\n[logging]\nretenton_days = 40\n')
    typo = run("plan")
    assert typo.err == ("Error: vertex-claude.toml: unknown key 'logging.retenton_days'\n"
                        "  fix: rename it to 'retention_days'\n")
    config_file(f'project = "{PROJECT}"\n[endpoints]\nfoo = "https://x"\n')
    unknown = run("plan")
    assert unknown.err == ("Error: vertex-claude.toml: unknown key 'endpoints.foo'\n"
                           "  fix: remove it; known keys in [endpoints]: aiplatform, aiplatform_global, "
                           "allow_insecure_http, bigquery, claude, cloudbilling, cloudquotas, logging, oauth2, "
                           "orgpolicy, resourcemanager, serviceusage\n")


def test_bigquery_location_is_validated(run: Runner, config_file: Callable[[str], Path]) -> None:
    config_file(f'project = "{PROJECT}"\n[logging]\nlocation = "MARS"\n')
    result = run("plan")
    assert result.err == ("Error: vertex-claude.toml: key 'logging.location': location 'MARS' is not a BigQuery "
                          "location\n  fix: use a multi-region (\"US\" or \"EU\") or a region such as \"us-east5\"\n")


def test_show_json_is_the_saved_document(run: Runner, tmp_path: Path, foundation_only: Path) -> None:
    plan_path = tmp_path / "plan.json"
    run("--emulator", "plan", "--out", str(plan_path))
    shown = json.loads(run("show", str(plan_path), "--json").out)
    assert shown == json.loads(plan_path.read_text())
    assert shown["created"] and shown["checksum"].startswith("sha256:")


def test_bad_propagation_deadline_is_one_line(run: Runner, foundation_only: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    for bad in ("abc", "nan", "-1", "inf"):
        monkeypatch.setenv("VERTEX_CLAUDE_PROPAGATION_DEADLINE", bad)
        result = run("--emulator", "plan")
        assert (result.code, result.out) == (1, "")
        assert result.err == (f"Error: environment VERTEX_CLAUDE_PROPAGATION_DEADLINE: '{bad}' is not a number of "
                              "seconds from 0 to 86400\n"
                              "  fix: set it like VERTEX_CLAUDE_PROPAGATION_DEADLINE=180, or unset it\n")
