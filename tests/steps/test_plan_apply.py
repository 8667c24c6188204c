"""plan → apply → plan through the real Google clients against the emulator."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import PROJECT, Runner

pytestmark = pytest.mark.usefixtures("foundation_only")

PLAN_ONE_CHANGE = f"""\
vertex-claude-setup will perform the following actions on project {PROJECT}:

  + enable service aiplatform.googleapis.com on project {PROJECT}
      DISABLED → ENABLED
      # Claude on Vertex AI is served by the Vertex AI API

Checks:
  · model availability: known after apply (the Vertex AI API is being enabled first); apply checks it once the \
API is on

Plan: 1 to add, 0 to change, 0 to destroy.
"""
CHECKS_OK = "Checks:\n  · all 6 configured (model, region) pairs are available\n\n"
NO_CHANGES = f"{CHECKS_OK}No changes. Project {PROJECT} matches the configuration.\n"


def test_fresh_project_plan_apply_converges(run: Runner) -> None:
    first = run("--emulator", "--project", PROJECT, "plan", "--detailed-exitcode")
    assert (first.code, first.out, first.err) == (2, PLAN_ONE_CHANGE, f"Project {PROJECT} (from flag --project)\n")

    applied = run("--emulator", "--project", PROJECT, "apply", "--auto-approve")
    assert applied.code == 0
    assert applied.out == PLAN_ONE_CHANGE + (
        f"\n  ✓ enable service aiplatform.googleapis.com on project {PROJECT}: "
        f"aiplatform.googleapis.com is ENABLED on project {PROJECT}\n\n"
        "Checks after apply:\n  · all 6 configured (model, region) pairs are available\n\n"
        "Apply complete! 1 applied.\n")

    again = run("--emulator", "--project", PROJECT, "plan", "--detailed-exitcode")
    assert (again.code, again.out) == (0, NO_CHANGES)
    second_apply = run("--emulator", "--project", PROJECT, "apply", "--auto-approve")
    assert (second_apply.code, second_apply.out) == (0, NO_CHANGES)


def test_api_already_enabled_is_adopted(run: Runner, scenario: Callable[[dict[str, Any]], Path]) -> None:
    path = scenario({"projects": {PROJECT: {"enabled_services": ["aiplatform.googleapis.com"]}}})
    result = run("--emulator", "--scenario", str(path), "--project", PROJECT, "plan", "--detailed-exitcode")
    assert (result.code, result.out) == (0, NO_CHANGES)


def test_pending_operation_is_polled_and_propagation_retried(run: Runner, scenario: Callable[[dict[str, Any]], Path],
                                                             tmp_path: Path) -> None:
    # every Vertex AI endpoint answers SERVICE_DISABLED twice after the enable
    path = scenario({"defaults": {"operation_polls": 3}, "propagation": [{"path": "*", "calls": 2}]})
    result = run("--emulator", "--scenario", str(path), "--project", PROJECT, "apply", "--auto-approve")
    assert result.code == 0, result.err
    assert "Apply complete! 1 applied." in result.out
    state = json.loads((tmp_path / ".vertex-claude" / "emulator-state.json").read_text())
    ops = state["operations"]
    assert len(ops) == 1 and next(iter(ops.values()))["polls_left"] == 0
    # both SERVICE_DISABLED answers during propagation were consumed by retries
    assert [w["calls_left"] for w in state["propagation"][0]["windows"]] == [0]


def test_billing_disabled_is_one_line_error(run: Runner, scenario: Callable[[dict[str, Any]], Path]) -> None:
    path = scenario({"projects": {PROJECT: {"billing_enabled": False}}})
    result = run("--emulator", "--scenario", str(path), "--project", PROJECT, "apply", "--auto-approve")
    assert result.code == 1
    assert "Traceback" not in result.err + result.out
    assert (f"  ✗ enable service aiplatform.googleapis.com on project {PROJECT}: serviceusage.googleapis.com "
            f"(project {PROJECT}): billing is not enabled on project {PROJECT}\n"
            f"      fix: link a billing account at https://console.cloud.google.com/billing/linkedaccount?project="
            f"{PROJECT}\n") in result.out
    assert result.out.endswith("Apply failed: 0 applied, 1 failed, 2 skipped. Fix the cause and run apply again: "
                               "it resumes where it stopped.\n")


def test_permission_denied_names_role(run: Runner, scenario: Callable[[dict[str, Any]], Path]) -> None:
    path = scenario({"projects": {PROJECT: {"permissions": ["resourcemanager.projects.get"]}}})
    result = run("--emulator", "--scenario", str(path), "--project", PROJECT, "plan")
    assert result.code == 1
    assert result.out == (
        f"Error: api: serviceusage.googleapis.com (project {PROJECT}): permission serviceusage.services.get denied: "
        f"Permission 'serviceusage.services.get' denied on resource '//serviceusage.googleapis.com/projects/"
        f"{PROJECT}' (or it may not exist).\n"
        f"  fix: grant roles/serviceusage.serviceUsageViewer to your principal on project {PROJECT}\n"
        "Skipped: model_garden: depends on api, which failed\n"
        "Skipped: availability: depends on api, which failed\n"
        "Plan incomplete: fix the errors above and plan again.\n")


def test_missing_project_says_missing_or_no_access(run: Runner, scenario: Callable[[dict[str, Any]], Path]) -> None:
    path = scenario({"defaults": {"auto_create_projects": False}})
    result = run("--emulator", "--scenario", str(path), "--project", "no-such-project", "plan")
    assert result.code == 1
    assert result.out == (
        "Error: project: project no-such-project does not exist or you have no access to it (Resource Manager "
        "answered 403 PERMISSION_DENIED; it does not say which)\n"
        "  fix: check the project ID (`gcloud projects list`) and that your principal holds a role on "
        "no-such-project, e.g. roles/browser\n"
        "Skipped: api: depends on project, which failed\n"
        "Skipped: model_garden: depends on api, which failed\n"
        "Skipped: availability: depends on api, which failed\n"
        "Plan incomplete: fix the errors above and plan again.\n")


def test_project_pending_deletion(run: Runner, scenario: Callable[[dict[str, Any]], Path]) -> None:
    path = scenario({"projects": {PROJECT: {"state": "DELETE_REQUESTED"}}})
    result = run("--emulator", "--scenario", str(path), "--project", PROJECT, "plan")
    assert result.code == 1
    assert result.out.startswith(f"Error: project: project {PROJECT} is DELETE_REQUESTED, not ACTIVE\n"
                                 f"  fix: restore it (`gcloud projects undelete {PROJECT}`)")


def test_transient_failure_then_rerun_converges(run: Runner, scenario: Callable[[dict[str, Any]], Path]) -> None:
    path = scenario({"faults": [{"method": "POST", "path": "*:enable", "status": 503, "times": 1000}]})
    failed = run("--emulator", "--scenario", str(path), "--project", PROJECT, "apply", "--auto-approve")
    assert failed.code == 1
    assert re.search(r"Google answered 503 UNAVAILABLE \(\d+ attempts\): ", failed.out), failed.out
    # the outage ends (the state file keeps the rule; clear it as an operator would wait it out)
    state_path = Path(".vertex-claude/emulator-state.json")
    state = json.loads(state_path.read_text())
    state["faults"] = []
    state_path.write_text(json.dumps(state))
    rerun = run("--emulator", "--project", PROJECT, "apply", "--auto-approve")
    assert rerun.code == 0 and "Apply complete! 1 applied." in rerun.out
    assert run("--emulator", "--project", PROJECT, "plan", "--detailed-exitcode").code == 0


def test_one_shot_503_is_retried_transparently(run: Runner, scenario: Callable[[dict[str, Any]], Path]) -> None:
    path = scenario({"faults": [{"method": "GET", "path": "/v1/projects/*/services/*", "status": 503, "times": 2}]})
    result = run("--emulator", "--scenario", str(path), "--project", PROJECT, "plan", "--detailed-exitcode")
    assert (result.code, result.out) == (2, PLAN_ONE_CHANGE)


def test_apply_without_terminal_needs_auto_approve(run: Runner) -> None:
    result = run("--emulator", "--project", PROJECT, "apply")
    assert result.code == 1
    assert result.err.strip().endswith("apply needs confirmation: pass --auto-approve (no terminal to ask on)")


def test_api_status_and_enable(run: Runner) -> None:
    before = run("--emulator", "--project", PROJECT, "api", "status")
    assert before.out == f"aiplatform.googleapis.com on project {PROJECT}: DISABLED\n"
    enabled = run("--emulator", "--project", PROJECT, "api", "enable")
    assert enabled.out == f"aiplatform.googleapis.com is ENABLED on project {PROJECT}\n"
    again = run("--emulator", "--project", PROJECT, "api", "enable")
    assert again.out == "No changes: already as configured.\n"
    status = run("--emulator", "--project", PROJECT, "api", "status", "--json")
    assert json.loads(status.out) == {"project": PROJECT, "service": "aiplatform.googleapis.com", "state": "ENABLED"}


def test_emulator_reset_starts_fresh(run: Runner) -> None:
    assert run("--emulator", "--project", PROJECT, "apply", "--auto-approve").code == 0
    reset = run("--project", PROJECT, "emulator", "reset")
    assert reset.out.startswith("Removed ") and reset.out.endswith("emulator-state.json.\n")
    assert run("--emulator", "--project", PROJECT, "plan", "--detailed-exitcode").code == 2


def test_propagation_wait_does_not_need_operations_list(run: Runner,
                                                        scenario: Callable[[dict[str, Any]], Path]) -> None:
    # The principal may enable the API and call Claude, but not list Vertex operations: the wait after
    # enabling must not turn that unrelated 403 into a failed apply.
    granted = ["resourcemanager.projects.get", "serviceusage.services.get", "serviceusage.services.enable",
               "aiplatform.endpoints.predict"]
    path = scenario({"projects": {PROJECT: {"permissions": granted}}})
    result = run("--emulator", "--scenario", str(path), "--project", PROJECT, "apply", "--auto-approve")
    assert result.code == 0, result.out + result.err
    assert result.out.endswith("Apply complete! 1 applied.\n")


def test_plan_and_apply_probe_each_pair_once(run: Runner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The availability and logging steps read the same pairs concurrently: one count-tokens probe per pair and
    command, shared between them (issue 13: one probe per pair per command)."""
    from vertex_claude_setup.emulator import Emulator, State

    emu = Emulator(State.from_scenario({}))
    url = emu.start()
    try:
        monkeypatch.setenv("VERTEX_CLAUDE_EMULATOR_HOST", url.removeprefix("http://"))
        monkeypatch.setenv("VERTEX_CLAUDE_EMULATOR_GRPC_HOST", emu.grpc_target)
        models, regions = ["claude-sonnet-4-5@20250929", "claude-haiku-4-5@20251001"], ["us-east5", "europe-west1"]
        (tmp_path / "vertex-claude.toml").write_text(
            f'project = "{PROJECT}"\nregions = {json.dumps(regions)}\nmodels = {json.dumps(models)}\n',
            encoding="utf-8")

        def probes() -> int:
            count = sum(r.path.endswith("count-tokens:rawPredict") for r in emu.requests)
            emu.requests.clear()
            return count

        assert run("apply", "--auto-approve").code == 0
        assert probes() == 4  # fresh: the plan cannot probe (API off); once the API is on, each pair once
        assert run("plan", "--detailed-exitcode").code == 0
        assert probes() == 4
    finally:
        emu.stop()
