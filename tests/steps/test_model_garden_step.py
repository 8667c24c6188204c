"""Model Garden enablement as an opt-in step: plan shows it, apply enables (with [model_garden] enable = true)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import PROJECT, Runner

SONNET, HAIKU = "claude-sonnet-4-5@20250929", "claude-haiku-4-5@20251001"
URL = f"https://console.cloud.google.com/vertex-ai/publishers/anthropic/model-garden/claude-sonnet-4-5?project={PROJECT}"


def _config(enable: bool, models: tuple[str, ...] = (SONNET,)) -> str:
    listed = ", ".join(f'"{m}"' for m in models)
    return (f'project = "{PROJECT}"\nregions = ["us-east5", "global"]\nmodels = [{listed}]\n\n'
            f"[model_garden]\nenable = {'true' if enable else 'false'}\n\n"
            "[logging]\nenabled = false\naudit_logs = false\n\n[smoke_test]\nenabled = false\n")


FRESH: dict[str, Any] = {"projects": {PROJECT: {"model_enablement": {"*": "NOT_ENABLED"}}}}


def test_a_fresh_project_goes_from_not_enabled_to_available_in_one_apply(
        run: Runner, scenario: Callable[[dict[str, Any]], Path], config_file: Callable[[str], Path]) -> None:
    config_file(_config(enable=True))
    first = run("--emulator", "--scenario", str(scenario(FRESH)), "apply", "--auto-approve")
    assert first.code == 0, first.out + first.err
    assert ("  · Model Garden enablement: known after apply (the Vertex AI API is being enabled first); apply "
            "enables the configured models that are not\n") in first.out
    assert (f"  ✓ enable {SONNET} for project {PROJECT} in Model Garden (enableModel): {SONNET} enabled for project "
            f"{PROJECT} (ENABLEMENT_STATE_SUCCEEDED)\n") in first.out
    assert "Checks after apply:\n  · all 2 configured (model, region) pairs are available\n" in first.out
    assert first.out.endswith("Apply complete! 2 applied.\n")
    second = run("--emulator", "apply", "--auto-approve")
    assert second.code == 0
    assert second.out.endswith(f"No changes. Project {PROJECT} matches the configuration.\n")


def test_plan_on_an_enabled_api_proposes_enable_model_and_defers_availability(
        run: Runner, scenario: Callable[[dict[str, Any]], Path], config_file: Callable[[str], Path]) -> None:
    config_file(_config(enable=True))
    on = {"projects": {PROJECT: {**FRESH["projects"][PROJECT], "enabled_services": ["aiplatform.googleapis.com"]}}}
    plan = run("--emulator", "--scenario", str(scenario(on)), "plan", "--json")
    data = json.loads(plan.out)
    steps = {s["step"]: s for s in data["steps"]}
    assert steps["model_garden"]["observed"]["models"] == [{
        "model": SONNET, "state": "NOT_ENABLED", "region": "us-east5", "class": "NOT_ENABLED", "eula_accepted": False,
        "message": f"Project `{PROJECT}` is not allowed to use Publisher Model `projects/{PROJECT}/locations/us-east5/"
                   f"publishers/anthropic/models/{SONNET}`"}]
    assert [c["summary"] for c in steps["model_garden"]["changes"]] == [
        f"enable {SONNET} for project {PROJECT} in Model Garden (enableModel)"]
    assert steps["availability"]["observed"] == {"deferred": True, "waiting_for": ["model_garden"]}
    text = run("--emulator", "plan")
    assert ("  · model availability: known after apply (Model Garden enables the configured models first); apply "
            "checks it once they are enabled\n") in text.out


def test_without_enable_plan_says_what_to_do_and_where(
        run: Runner, scenario: Callable[[dict[str, Any]], Path], config_file: Callable[[str], Path]) -> None:
    config_file(_config(enable=False))
    on = {"projects": {PROJECT: {**FRESH["projects"][PROJECT], "enabled_services": ["aiplatform.googleapis.com"]}}}
    plan = run("--emulator", "--scenario", str(scenario(on)), "plan")
    assert plan.code == 3  # the availability check fails: the model answers NOT_ENABLED
    assert "will perform the following actions" not in plan.out
    assert (f"  ! Model Garden: {SONNET} is not enabled for project {PROJECT}; its terms are not accepted yet\n"
            f"      fix: enable it at {URL} (accept Anthropic's terms and complete the use-case form), or set enable "
            "= true under [model_garden] in vertex-claude.toml and run `vertex-claude-setup apply`\n") in plan.out
    assert f"  · Model Garden: 0 of 1 configured models enabled for project {PROJECT}\n" in plan.out


def test_a_missing_questionnaire_is_a_failed_change_with_the_console_link(
        run: Runner, scenario: Callable[[dict[str, Any]], Path], config_file: Callable[[str], Path]) -> None:
    config_file(_config(enable=True, models=(SONNET, HAIKU)))
    spec = {"enabled_services": ["aiplatform.googleapis.com"],
            "model_enablement": {"*": "NOT_ENABLED", "claude-haiku-4-5": "QUESTIONNAIRE_MISSING"}}
    result = run("--emulator", "--scenario", str(scenario({"projects": {PROJECT: spec}})), "apply", "--auto-approve")
    assert result.code == 1
    haiku_url = URL.replace("claude-sonnet-4-5", "claude-haiku-4-5")
    assert (f"  ✗ enable {HAIKU} for project {PROJECT} in Model Garden (enableModel): Model Garden did not enable "
            f"{HAIKU} for project {PROJECT}: ENABLEMENT_STATE_FAILED (its prerequisites are not met: the use-case form "
            f"and consents, or a Private Offer)\n      fix: complete them at {haiku_url} (that form cannot be "
            "automated), then run `vertex-claude-setup apply` again\n") in result.out
    assert f"  ✓ enable {SONNET} for project {PROJECT} in Model Garden (enableModel)" in result.out
    assert "Apply failed: 1 applied, 1 failed, 1 skipped." in result.out
