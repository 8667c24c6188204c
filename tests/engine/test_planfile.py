"""Saved plans: apply exactly the plan, refuse stale or tampered ones, show and --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import PROJECT, Runner

pytestmark = pytest.mark.usefixtures("foundation_only")
HEADER = f"Project {PROJECT} (from flag --project)\n"  # apply names the project first, on stderr


def test_saved_plan_applies_then_is_stale(run: Runner, tmp_path: Path) -> None:
    plan_path = tmp_path / "plan.json"
    made = run("--emulator", "--project", PROJECT, "plan", "--out", str(plan_path), "--detailed-exitcode")
    assert made.code == 2
    assert made.out.endswith(f"Saved the plan to {plan_path}. Apply exactly this plan with: "
                             f"vertex-claude-setup --project {PROJECT} --emulator apply {plan_path}\n")
    applied = run("--emulator", "--project", PROJECT, "apply", str(plan_path))
    assert applied.code == 0 and applied.out.endswith("Apply complete! 1 applied.\n")
    # the same plan again: the world moved (the API is now on), so it is refused
    stale = run("--emulator", "--project", PROJECT, "apply", str(plan_path))
    assert stale.code == 1
    assert stale.err == HEADER + (f"Error: plan {plan_path} is stale: the world changed since it was made: "
                         "api: state: \"DISABLED\" → \"ENABLED\"; model_garden: deferred: true → false; "
                         "availability: deferred: true → false\n"
                         "  fix: run `vertex-claude-setup plan --out FILE` again and review it\n")


def test_plan_refused_when_drifted_before_apply(run: Runner, tmp_path: Path) -> None:
    plan_path = tmp_path / "plan.json"
    run("--emulator", "--project", PROJECT, "plan", "--out", str(plan_path))
    assert run("--emulator", "--project", PROJECT, "api", "enable").code == 0  # someone else enabled it
    result = run("--emulator", "--project", PROJECT, "apply", str(plan_path))
    assert result.code == 1 and "is stale: the world changed since it was made" in result.err


def test_tampered_plan_is_refused(run: Runner, tmp_path: Path) -> None:
    plan_path = tmp_path / "plan.json"
    run("--emulator", "--project", PROJECT, "plan", "--out", str(plan_path))
    doc = json.loads(plan_path.read_text())
    doc["steps"][1]["changes"][0]["after"] = "DISABLED"
    plan_path.write_text(json.dumps(doc))
    result = run("--emulator", "--project", PROJECT, "apply", str(plan_path))
    assert result.code == 1
    assert result.err == HEADER + (f"Error: plan file {plan_path} was modified after it was written "
                                   "(checksum mismatch)\n"
                                   "  fix: never edit a plan; make a new one with `plan --out FILE`\n")


def test_plan_for_another_config_is_refused(run: Runner, tmp_path: Path) -> None:
    plan_path = tmp_path / "plan.json"
    run("--emulator", "--project", PROJECT, "plan", "--out", str(plan_path))
    result = run("--emulator", "--project", PROJECT, "--config", "missing.toml", "apply", str(plan_path))
    assert result.code == 1 and "config file missing.toml not found" in result.err
    other = run("--emulator", "--project", "other-project", "apply", str(plan_path))
    assert other.code == 1
    assert other.err.startswith("Project other-project (from flag --project, which overrides project = "
                                f"\"{PROJECT}\" in vertex-claude.toml)\n"
                                f"Error: plan {plan_path} is for project {PROJECT}, the config says other-project")


def test_show_and_json(run: Runner, tmp_path: Path) -> None:
    plan_path = tmp_path / "plan.json"
    run("--emulator", "--project", PROJECT, "plan", "--out", str(plan_path))
    shown = run("show", str(plan_path))
    assert shown.code == 0 and f"  + enable service aiplatform.googleapis.com on project {PROJECT}" in shown.out
    as_json = json.loads(run("show", str(plan_path), "--json").out)
    assert as_json["format"] == "vertex-claude-setup-plan" and as_json["version"] == 1
    assert as_json["summary"] == {"create": 1, "update": 0, "delete": 0}
    assert [s["step"] for s in as_json["steps"]] == ["project", "api", "model_garden", "availability"]
    assert all(s["fingerprint"].startswith("sha256:") for s in as_json["steps"])
    planned = json.loads(run("--emulator", "--project", PROJECT, "plan", "--json").out)
    summary = planned["steps"][1]["changes"][0]["summary"]
    assert summary == f"enable service aiplatform.googleapis.com on project {PROJECT}"


def test_show_rejects_non_plan(run: Runner, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.json"
    bogus.write_text("{}")
    result = run("show", str(bogus))
    assert (result.code, result.err) == (1, f"Error: {bogus} is not a vertex-claude-setup plan file\n"
                                            "  fix: make one with `plan --out FILE`\n")
