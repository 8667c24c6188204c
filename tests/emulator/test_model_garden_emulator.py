"""The emulated Model Garden and Org Policy: discovery-document routes and bodies, scenario keys checked."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from vertex_claude_setup.emulator import Emulator, State, discovery
from vertex_claude_setup.errors import SetupError

PROJECT = "demo-project"


def _start(scenario: dict[str, Any]) -> Emulator:
    emu = Emulator(State.from_scenario(scenario))
    emu.start()
    return emu


@pytest.fixture
def emu() -> Any:
    started = _start({"projects": {PROJECT: {"model_enablement": {"*": "NOT_ENABLED"}}},
                      "model_garden": {"extra_models": [{"id": "claude-sonnet-6@20270101"}]}})
    yield started
    started.stop()


def test_routes_are_the_discovery_documents() -> None:
    assert discovery.method("aiplatform.v1beta1", "aiplatform.projects.publishers.models.enableModel").template == (
        "/v1beta1/projects/{projectsId}/publishers/{publishersId}/models/{modelsId}:enableModel")
    assert discovery.method("aiplatform.v1beta1", "aiplatform.publishers.models.list").template == (
        "/v1beta1/publishers/{publishersId}/models")
    assert discovery.method("orgpolicy.v2", "orgpolicy.projects.policies.getEffectivePolicy").template == (
        "/v2/projects/{projectsId}/policies/{policiesId}:getEffectivePolicy")


def test_bodies_are_validated_like_google(emu: Emulator) -> None:
    base = f"{emu.url}/v1beta1/projects/{PROJECT}"
    typo = requests.post(f"{base}/modelGardenEula:check", json={"publisherModell": "x"}, timeout=5)
    assert typo.status_code == 400 and 'Unknown name "publisherModell"' in typo.json()["error"]["message"]
    wrong = requests.post(f"{base}/publishers/anthropic/models/claude-sonnet-4-5:enableModel", json={"service": 5},
                          timeout=5)
    assert wrong.status_code == 400 and "TYPE_STRING" in wrong.json()["error"]["message"]
    unknown = requests.post(f"{base}/modelGardenEula:check",
                            json={"publisherModel": "publishers/anthropic/models/claude-imaginary-9"}, timeout=5)
    assert unknown.status_code == 404 and unknown.json()["error"]["status"] == "NOT_FOUND"


def test_eula_accept_is_recorded_and_enable_model_flips_the_probe(emu: Emulator) -> None:
    base = f"{emu.url}/v1beta1/projects/{PROJECT}"
    body = {"publisherModel": "publishers/anthropic/models/claude-sonnet-4-5"}
    assert requests.post(f"{base}/modelGardenEula:check", json=body, timeout=5).json()[
        "publisherModelEulaAcked"] is False
    accepted = requests.post(f"{base}/modelGardenEula:accept", json=body, timeout=5).json()
    assert accepted["publisherModelEulaAcked"] is True and accepted["projectNumber"].isdigit()
    predict = f"{emu.url}/v1/projects/{PROJECT}/locations/us-east5/publishers/anthropic/models/count-tokens:rawPredict"
    enable_api = f"{emu.url}/v1/projects/{PROJECT}/services/aiplatform.googleapis.com:enable"
    assert requests.post(enable_api, json={}, timeout=5).status_code == 200
    ask = {"model": "claude-sonnet-4-5@20250929", "messages": [{"role": "user", "content": "ping"}]}
    assert requests.post(predict, json=ask, timeout=5).status_code == 400  # accepted terms alone do not enable
    done = requests.post(f"{base}/publishers/anthropic/models/claude-sonnet-4-5:enableModel", json={}, timeout=5)
    assert done.json()["enablementState"] == "ENABLEMENT_STATE_SUCCEEDED"
    assert requests.post(predict, json=ask, timeout=5).status_code == 200


def test_the_list_basic_view_leaves_lifecycle_to_get(emu: Emulator) -> None:
    listed = requests.get(f"{emu.url}/v1beta1/publishers/anthropic/models", params={"pageSize": 5}, timeout=5).json()
    assert len(listed["publisherModels"]) == 5 and listed["nextPageToken"] == "5"
    assert set(listed["publisherModels"][0]) == {"name", "versionId", "openSourceCategory", "publisherModelTemplate"}
    full = requests.get(f"{emu.url}/v1beta1/publishers/anthropic/models/claude-sonnet-6@20270101", timeout=5).json()
    assert (full["launchStage"], full["versionState"], full["versionId"]) == ("GA", "VERSION_STATE_STABLE", "20270101")


@pytest.mark.parametrize(("scenario", "message"), [
    ({"projects": {PROJECT: {"model_enablement": {"*": "MAYBE"}}}}, "model_enablement.* = 'MAYBE'"),
    ({"model_garden": {"extra_models": [{"launch_stage": "GA"}]}}, "model_garden.extra_models[0] needs an id"),
    ({"model_garden": {"extra": []}}, "unknown scenario key 'model_garden.extra'"),
    ({"org_policies": {"teams/1": {}}}, "org_policies.teams/1 must be a table"),
])
def test_scenario_keys_are_checked(scenario: dict[str, Any], message: str) -> None:
    with pytest.raises(SetupError, match=message.replace("*", r"\*").replace("[", r"\[").replace("]", r"\]")):
        State.from_scenario(scenario)


def test_effective_policy_needs_permission_and_names_the_project_number() -> None:
    emu = _start({"projects": {PROJECT: {"permissions": ["resourcemanager.projects.get"]}}})
    try:
        url = f"{emu.url}/v2/projects/{PROJECT}/policies/vertexai.allowedModels:getEffectivePolicy"
        denied = requests.get(url, timeout=5)
    finally:
        emu.stop()
    assert denied.status_code == 403
    assert denied.json()["error"]["details"][0]["metadata"]["permission"] == "orgpolicy.policy.get"
