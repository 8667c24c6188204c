"""ORG_POLICY_BLOCKED: the answer naming constraints/vertexai.allowedModels, and the effective policy behind it."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from audit_support import ON, emulator, google_for, run

from vertex_claude_setup.availability.audit import run_audit
from vertex_claude_setup.availability.classify import Availability, classify

OPUS, SONNET = "claude-opus-4-1@20250805", "claude-sonnet-4-5@20250929"
DENY_OPUS = {"rules": [{"values": {"deniedValues": ["publishers/anthropic/models/claude-opus-4-1:predict"]}}]}


def _scenario(**project: Any) -> dict[str, Any]:
    return {"projects": {"team-project": {"enabled_services": ON, "parent": "folders/42", **project}},
            "org_policies": {"folders/42": {"vertexai.allowedModels": DENY_OPUS}}}


def test_a_folder_policy_blocks_a_model_and_the_audit_names_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    with emulator(monkeypatch, _scenario()) as emu:
        audit = run_audit(google_for(emu, "team-project"), "team-project", [OPUS, SONNET], ["us-east5", "global"],
                          quotas=False)
    blocked = audit.result(OPUS, "us-east5")
    assert blocked.availability is Availability.ORG_POLICY_BLOCKED
    assert (blocked.verdict.http_status, blocked.verdict.status) == (400, "FAILED_PRECONDITION")
    assert "constraints/vertexai.allowedModels" in blocked.verdict.message
    assert blocked.verdict.fix.startswith("an organization policy (constraints/vertexai.allowedModels) blocks "
                                          f"{OPUS} for project team-project: ask an organization policy "
                                          "administrator to allow publishers/anthropic/models/claude-opus-4-1:predict")
    assert audit.result(SONNET, "us-east5").availability is Availability.AVAILABLE
    assert audit.explanation(blocked) == (
        "an organization policy (constraints/vertexai.allowedModels) blocks this model; the effective "
        "constraints/vertexai.allowedModels policy denies publishers/anthropic/models/claude-opus-4-1:predict")
    assert audit.to_json()["org_policy"] == {
        "constraint": "constraints/vertexai.allowedModels", "readable": True, "reason": None, "fix": None,
        "deny_all": False, "allowed_values": None,
        "denied_values": ["publishers/anthropic/models/claude-opus-4-1:predict"]}


def test_without_permission_to_read_the_policy_the_class_still_stands(monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    scenario = _scenario(permissions=["aiplatform.endpoints.predict", "resourcemanager.projects.get"])
    with emulator(monkeypatch, scenario):
        code, out, _ = run(capsys, "--project", "team-project", "regions", "audit", "--models", OPUS,
                           "--regions", "us-east5", "--no-quotas", "--format", "json")
    data = json.loads(out)
    assert code == 3 and data["results"][0]["class"] == "ORG_POLICY_BLOCKED"
    assert data["org_policy"]["readable"] is False
    assert data["org_policy"]["fix"] == "grant roles/orgpolicy.policyViewer to your principal on project team-project"
    assert "the effective policy could not be read" in data["results"][0]["explanation"]


def test_an_inherited_allowlist_blocks_every_model_outside_it(monkeypatch: pytest.MonkeyPatch) -> None:
    allow = {"rules": [{"values": {"allowedValues": ["publishers/anthropic/models/claude-sonnet-4-5:predict"]}}]}
    also = {"inheritFromParent": True,
            "rules": [{"values": {"allowedValues": ["is:publishers/anthropic/models/claude-haiku-4-5:predict"]}}]}
    scenario = {"projects": {"team-project": {"enabled_services": ON, "parent": "organizations/1"}},
                "org_policies": {"organizations/1": {"vertexai.allowedModels": allow},
                                 "projects/team-project": {"vertexai.allowedModels": also}}}
    with emulator(monkeypatch, scenario) as emu:
        models = [SONNET, "claude-haiku-4-5@20251001", OPUS]
        audit = run_audit(google_for(emu, "team-project"), "team-project", models, ["us-east5"], quotas=False)
        url = f"{emu.url}/v2/projects/team-project/policies/vertexai.allowedModels:getEffectivePolicy"
        effective = requests.get(url, timeout=5).json()
    assert [audit.result(m, "us-east5").availability.value for m in models] == [
        "AVAILABLE", "AVAILABLE", "ORG_POLICY_BLOCKED"]
    assert "allows only 2 value(s)" in audit.explanation(audit.result(OPUS, "us-east5"))
    assert effective["spec"] == {"rules": [{"values": {"allowedValues": [
        "publishers/anthropic/models/claude-haiku-4-5:predict", "publishers/anthropic/models/claude-sonnet-4-5:predict"
    ]}}]}
    assert effective["name"].startswith("projects/") and effective["name"].endswith("/policies/vertexai.allowedModels")


@pytest.mark.parametrize(("status", "code"), [("PERMISSION_DENIED", 403), ("FAILED_PRECONDITION", 400)])
def test_the_constraint_named_in_any_status_is_org_policy_blocked(status: str, code: int) -> None:
    body = {"error": {"code": code, "status": status, "message": "Organization Policy constraint "
                      "constraints/vertexai.allowedModels violated for projects/1 attempting to use a disallowed Gen "
                      "AI model publishers/anthropic/models/claude-opus-4-1."}}
    verdict = classify(code, body, project="p", model=OPUS, region="us-east5")
    assert verdict.availability is Availability.ORG_POLICY_BLOCKED
