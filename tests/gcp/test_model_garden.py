"""Model Garden through the generated aiplatform_v1beta1 client (REST) against the emulator."""

from __future__ import annotations

from typing import Any

import pytest
from audit_support import emulator, google_for

from vertex_claude_setup import catalog
from vertex_claude_setup.gcp import model_garden

PROJECT = "demo-project"


def test_lists_every_anthropic_version_with_detail_on_the_global_host(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario: dict[str, Any] = {"model_garden": {
        "extra_models": [{"id": "claude-sonnet-6@20261215", "launch_stage": "PUBLIC_PREVIEW"}],
        "withdrawn": ["claude-3-haiku@20240307"]}}
    with emulator(monkeypatch, scenario) as emu:
        found = {m.vertex_id: m for m in model_garden.list_models(google_for(emu, PROJECT), PROJECT)}
        requests = [r for r in emu.requests if "/publishers/anthropic/models" in r.path]
    not_retired = {m.id for m in catalog.models().values() if m.status() != "retired"}
    assert set(found) == (not_retired - {"claude-3-haiku@20240307"}) | {"claude-sonnet-6@20261215"}
    assert found["claude-sonnet-4-5@20250929"] == model_garden.PublisherModel(
        "claude-sonnet-4-5", "20250929", "GA", "VERSION_STATE_STABLE")
    assert found["claude-sonnet-6@20261215"].launch_stage == "PUBLIC_PREVIEW"
    assert found["claude-opus-4-6"].version_id == "001"  # undated: called by its name alone
    # One list (basic view: no launch stage) and one GetPublisherModel per version, all on the global host.
    assert requests[0].path == "/v1beta1/publishers/anthropic/models"
    assert {r.path for r in requests[1:]} == {f"/v1beta1/publishers/anthropic/models/{m.model}@{m.version_id}"
                                              for m in found.values()}
    assert {r.host for r in requests} == {"aiplatform.googleapis.com"}


def test_every_page_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    extras = [{"id": f"claude-test-{i}@20270101"} for i in range(80)]
    with emulator(monkeypatch, {"model_garden": {"extra_models": extras}}) as emu:
        found = {m.vertex_id for m in model_garden.list_models(google_for(emu, PROJECT), PROJECT)}
        pages = [r for r in emu.requests if r.path == "/v1beta1/publishers/anthropic/models"]
    assert {e["id"] for e in extras} <= found
    assert len(pages) >= 2


def test_vertex_id_dates_only() -> None:
    assert model_garden.vertex_id("claude-haiku-4-5", "20251001") == "claude-haiku-4-5@20251001"
    assert model_garden.vertex_id("claude-opus-4-6", "001") == "claude-opus-4-6"
    assert model_garden.resource_name("claude-haiku-4-5@20251001") == "publishers/anthropic/models/claude-haiku-4-5"


SONNET = "claude-sonnet-4-5@20250929"
HAIKU = "claude-haiku-4-5@20251001"


def test_enable_model_over_rest_and_eula_check_through_the_generated_client(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = {"projects": {PROJECT: {"enabled_services": ["aiplatform.googleapis.com"],
                                       "model_enablement": {"*": "NOT_ENABLED", "claude-haiku-4-5":
                                                            "QUESTIONNAIRE_MISSING"}}}}
    with emulator(monkeypatch, scenario) as emu:
        google = google_for(emu, PROJECT)
        assert model_garden.eula_accepted(google, PROJECT, SONNET) is False
        done = model_garden.enable_model(google, PROJECT, SONNET)
        assert done.ok and done.endpoint.endswith("/publishers/anthropic/models/claude-sonnet-4-5")
        assert model_garden.eula_accepted(google, PROJECT, SONNET) is True
        failed = model_garden.enable_model(google, PROJECT, HAIKU)
        assert (failed.ok, failed.state) == (False, "ENABLEMENT_STATE_FAILED")
        calls = [(r.method, r.path, r.host, r.json()) for r in emu.requests if "modelGardenEula" in r.path
                 or r.path.endswith(":enableModel")]
    assert calls[0] == ("POST", f"/v1beta1/projects/{PROJECT}/modelGardenEula:check", "aiplatform.googleapis.com",
                        {"publisherModel": "publishers/anthropic/models/claude-sonnet-4-5"})
    enable_path = f"/v1beta1/projects/{PROJECT}/publishers/anthropic/models/claude-sonnet-4-5:enableModel"
    assert calls[1] == ("POST", enable_path, "aiplatform.googleapis.com", {})


def test_enable_model_without_the_entitlement_role_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = {"projects": {PROJECT: {"permissions": ["resourcemanager.projects.get"],
                                       "model_enablement": {"*": "NOT_ENABLED"}}}}
    with emulator(monkeypatch, scenario) as emu, pytest.raises(Exception) as caught:
        model_garden.enable_model(google_for(emu, PROJECT), PROJECT, SONNET)
    assert "consumerprocurement.entitlements.get" in str(caught.value)
    assert "roles/consumerprocurement.entitlementManager" in getattr(caught.value, "hint", "")
