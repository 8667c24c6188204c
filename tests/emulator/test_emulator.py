"""The emulator itself: discovery-checked routes and bodies, Google error shapes, faults, persistence."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import PROJECT, Runner

from vertex_claude_setup.emulator import Emulator, State, discovery


def _url(emulator: Any) -> str:
    return str(emulator.url)


def test_unknown_field_is_rejected_like_google(emulator: Emulator) -> None:
    url = _url(emulator)
    resp = requests.post(f"{url}/v3/projects/{PROJECT}:setIamPolicy",
                         json={"policy": {"bindings": [], "etagg": "x"}}, timeout=5)
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    assert error["message"] == "Invalid JSON payload received. Unknown name \"etagg\" at 'policy': Cannot find field."
    assert error["details"][0]["@type"] == "type.googleapis.com/google.rpc.BadRequest"


def test_wrong_type_and_enum_are_rejected() -> None:
    with pytest.raises(Exception, match="TYPE_BOOL"):
        discovery.validate("serviceusage.v1", "DisableServiceRequest", {"disableDependentServices": "yes"})
    with pytest.raises(Exception, match="CHECK_IT"):
        discovery.validate("serviceusage.v1", "DisableServiceRequest", {"checkIfServiceHasUsage": "CHECK_IT"})
    discovery.validate("serviceusage.v1", "DisableServiceRequest", {"check_if_service_has_usage": "CHECK"})


def test_routes_come_from_discovery_documents() -> None:
    meth = discovery.method("serviceusage.v1", "serviceusage.services.enable")
    assert meth.http_method == "POST"
    assert meth.regex.match("/v1/projects/p1/services/aiplatform.googleapis.com:enable")
    with pytest.raises(KeyError):
        discovery.method("serviceusage.v1", "serviceusage.services.explode")


def test_unknown_path_is_google_404(emulator: Emulator) -> None:
    resp = requests.get(f"{_url(emulator)}/v1/nothing/here", timeout=5)
    assert resp.status_code == 404 and resp.json()["error"]["status"] == "NOT_FOUND"


def test_service_disabled_body_has_error_info(emulator: Emulator) -> None:
    resp = requests.get(f"{_url(emulator)}/v1/projects/{PROJECT}/locations/us-east5/operations", timeout=5)
    assert resp.status_code == 403
    error = resp.json()["error"]
    assert error["status"] == "PERMISSION_DENIED"
    info = error["details"][0]
    assert info["reason"] == "SERVICE_DISABLED" and info["metadata"]["service"] == "aiplatform.googleapis.com"
    assert "has not been used in project" in error["message"]


def test_set_iam_policy_etag_and_update_mask(emulator: Emulator) -> None:
    url = _url(emulator)
    policy = requests.post(f"{url}/v3/projects/{PROJECT}:getIamPolicy",
                           json={"options": {"requestedPolicyVersion": 3}}, timeout=5).json()
    audit = [{"service": "aiplatform.googleapis.com", "auditLogConfigs": [{"logType": "DATA_READ"}]}]
    # without updateMask, auditConfigs are ignored (default mask is bindings,etag), as on Google
    ignored = requests.post(f"{url}/v3/projects/{PROJECT}:setIamPolicy",
                            json={"policy": {**policy, "auditConfigs": audit}}, timeout=5).json()
    assert "auditConfigs" not in ignored
    stale = requests.post(f"{url}/v3/projects/{PROJECT}:setIamPolicy",
                          json={"policy": {**policy, "auditConfigs": audit}, "updateMask": "auditConfigs,etag"},
                          timeout=5)
    assert stale.status_code == 409 and stale.json()["error"]["status"] == "ABORTED"
    fresh = requests.post(f"{url}/v3/projects/{PROJECT}:setIamPolicy",
                          json={"policy": {**ignored, "auditConfigs": audit}, "updateMask": "auditConfigs,etag"},
                          timeout=5).json()
    assert fresh["auditConfigs"] == audit and fresh["bindings"] == policy["bindings"]
    assert fresh["etag"] != ignored["etag"]
    # The etag is checked as a field of the mask: a mask without it is the unchecked path (a stale write lands).
    unchecked = requests.post(f"{url}/v3/projects/{PROJECT}:setIamPolicy",
                              json={"policy": {**policy, "auditConfigs": []}, "updateMask": "auditConfigs"},
                              timeout=5)
    assert unchecked.status_code == 200 and "auditConfigs" not in unchecked.json()


def test_faults_are_deterministic_by_seed() -> None:
    def outcomes(seed: int) -> list[int]:
        emu = Emulator(State({"seed": seed, "faults": [{"path": "/v3/projects/*", "status": 503, "rate": 0.5}]}))
        return [emu.dispatch("GET", f"/v3/projects/{PROJECT}", {}, b"").status for _ in range(20)]

    assert outcomes(7) == outcomes(7)
    assert set(outcomes(7)) == {200, 503}


def test_one_shot_fault_and_latency() -> None:
    emu = Emulator(State({"faults": [{"method": "GET", "path": "/v3/*", "status": 429, "times": 1,
                                      "retry_delay": "1s", "latency_ms": 1}]}))
    first = emu.dispatch("GET", f"/v3/projects/{PROJECT}", {}, b"")
    assert first.status == 429
    assert first.body["error"]["details"][0]["retryDelay"] == "1s"
    assert emu.dispatch("GET", f"/v3/projects/{PROJECT}", {}, b"").status == 200


def test_scenario_file_toml(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text('[defaults]\nauto_create_projects = false\n[projects.known-project]\nnumber = 123456789012\n'
                    'enabled_services = ["aiplatform.googleapis.com"]\n')
    state = State.from_scenario(path)
    assert state.project("known-project") is not None
    assert state.project("123456789012") is not None
    assert state.project("other-project") is None


def test_state_persists_across_runs(run: Runner, tmp_path: Path) -> None:
    assert run("--emulator", "--project", PROJECT, "api", "enable").code == 0
    saved = json.loads((tmp_path / ".vertex-claude" / "emulator-state.json").read_text())
    assert saved["projects"][PROJECT]["services"] == {"aiplatform.googleapis.com": "ENABLED"}


def test_external_emulator_via_environment(run: Runner, emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERTEX_CLAUDE_EMULATOR_HOST", _url(emulator).removeprefix("http://"))
    monkeypatch.setenv("VERTEX_CLAUDE_EMULATOR_GRPC_HOST", emulator.grpc_target)
    result = run("--project", PROJECT, "plan", "--detailed-exitcode")
    assert result.code == 2 and "+ enable service aiplatform.googleapis.com" in result.out
    assert any(r.path == f"/v3/projects/{PROJECT}" for r in emulator.requests)


def test_bad_emulator_host_is_clear(run: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERTEX_CLAUDE_EMULATOR_HOST", "nonsense")
    result = run("--project", PROJECT, "plan")
    assert result.code == 1
    assert result.err == ("Error: VERTEX_CLAUDE_EMULATOR_HOST='nonsense' is not host:port\n"
                          "  fix: set it like VERTEX_CLAUDE_EMULATOR_HOST=localhost:8089\n")


def test_propagation_windows_hold_chosen_endpoints_after_an_enable() -> None:
    """``[[propagation]]``: after the enable operation completes, the named endpoints (only those) keep
    answering Google's SERVICE_DISABLED 403 for N calls, or for N seconds."""
    emu = Emulator(State.from_scenario({"propagation": [
        {"path": "*:fetchPublisherModelConfig", "calls": 2},
        {"path": "*count-tokens:rawPredict", "seconds": 3600}]}))
    base = f"/v1/projects/{PROJECT}/locations/us-east5"
    fetch = f"/v1beta1/projects/{PROJECT}/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-6" \
            ":fetchPublisherModelConfig"
    count = f"{base}/publishers/anthropic/models/count-tokens:rawPredict"
    body = json.dumps({"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "hi"}],
                       "anthropic_version": "vertex-2023-10-16"}).encode()
    assert emu.dispatch("GET", fetch, {}, b"").status == 403  # not enabled yet: no window involved
    enabled = emu.dispatch("POST", f"/v1/projects/{PROJECT}/services/aiplatform.googleapis.com:enable", {}, b"{}")
    assert enabled.status == 200 and enabled.body["done"] is True
    assert emu.dispatch("GET", f"{base}/operations", {}, b"").status == 200  # this endpoint sees it at once
    for _ in range(2):
        refused = emu.dispatch("GET", fetch, {}, b"")
        assert refused.status == 403
        error = refused.body["error"]
        assert (error["code"], error["status"]) == (403, "PERMISSION_DENIED")
        info = error["details"][0]
        assert (info["@type"], info["reason"], info["domain"]) == (
            "type.googleapis.com/google.rpc.ErrorInfo", "SERVICE_DISABLED", "googleapis.com")
        assert info["metadata"]["service"] == "aiplatform.googleapis.com"
        assert info["metadata"]["consumer"].startswith("projects/")
        assert info["metadata"]["activationUrl"].startswith("https://console.developers.google.com/apis/api/")
    assert emu.dispatch("GET", fetch, {}, b"").status == 200  # two calls later it has propagated there
    assert emu.dispatch("POST", count, {}, body).status == 403  # count-tokens: for an hour
    for rule in emu.state.data["propagation"]:
        for window in rule["windows"]:
            window["until"] = 0  # the hour is over
    assert emu.dispatch("POST", count, {}, body).status == 200


def test_propagation_rules_are_checked() -> None:
    from vertex_claude_setup.errors import SetupError

    with pytest.raises(SetupError, match=r"unknown scenario key 'propagation\[0\].call'"):
        State.from_scenario({"propagation": [{"path": "*", "call": 2}]})
    with pytest.raises(SetupError, match=r"propagation\[0\] needs a path"):
        State.from_scenario({"propagation": [{"calls": 2}]})
