"""doctor: healthy scenario, missing ADC, missing permissions (with the role), billing off; never a token."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from vertex_claude_setup.emulator import Emulator
from vertex_claude_setup.gcp.session import EMULATOR_TOKEN
from vertex_claude_setup.steps.permissions import command_permissions

from .conftest import Run, normalize, write_config

Runner = Callable[..., Run]
Start = Callable[[dict[str, Any]], Emulator]
ALICE = {"email": "alice@example.com", "type": "user"}


def _scenario(principal: dict[str, Any] | None = ALICE, **project: Any) -> dict[str, Any]:
    spec = {"enabled_services": ["aiplatform.googleapis.com"], **project}
    return {"projects": {"demo-project": spec}, **({"principal": principal} if principal else {})}


def test_healthy_setup_passes_everything(emulator: Start, run: Runner, tmp_path: Path) -> None:
    emulator(_scenario())
    cfg = write_config(tmp_path / "small.toml", extra="[logging]\nenabled = false\n")
    result = run("doctor", config=cfg)
    assert result.code == 0, result.out
    assert normalize(result.out) == (
        "Doctor for project demo-project\n"
        "\n"
        "Credentials\n"
        "  source:         emulator at http://EMULATOR (anonymous credentials)\n"
        "  principal:      alice@example.com\n"
        "  type:           user\n"
        "  quota project:  (none)\n"
        "  impersonation:  (none)\n"
        "\n"
        "CHECK        RESULT  DETAIL\n"
        "credentials  PASS    user: alice@example.com\n"
        "project      PASS    demo-project (projects/938386411120) is ACTIVE\n"
        "billing      PASS    project demo-project is linked to billingAccounts/012345-6789AB-CDEF01\n"
        "api          PASS    aiplatform.googleapis.com is ENABLED\n"
        "org policy   PASS    constraints/vertexai.allowedModels allows every configured model\n"
        "permissions  PASS    all 6 permissions held\n"
        "\n"
        "PERMISSION                    NEEDED BY                                    RESULT  ROLE THAT GRANTS IT\n"
        "resourcemanager.projects.get  doctor, plan, apply                          PASS\n"
        "serviceusage.services.get     doctor, plan, apply                          PASS\n"
        "aiplatform.endpoints.predict  plan, apply, smoke-test, env, regions audit  PASS\n"
        "serviceusage.services.enable  apply                                        PASS\n"
        "aiplatform.operations.list    apply                                        PASS\n"
        "cloudquotas.quotas.get        regions audit                                PASS\n"
        "\n"
        "Doctor: everything checked passed.\n")


def test_service_account_principal_and_impersonation_chain(emulator: Start, run: Runner) -> None:
    emulator(_scenario({"email": "ci@demo-project.iam.gserviceaccount.com", "type": "service_account"}))
    result = run("doctor", "--json")
    assert result.code == 0
    ident = json.loads(result.out)["identity"]
    assert (ident["principal"], ident["type"]) == ("ci@demo-project.iam.gserviceaccount.com", "service account")
    chained = run("--impersonate-service-account", "deployer@demo-project.iam.gserviceaccount.com", "doctor", "--json")
    ident = json.loads(chained.out)["identity"]
    assert ident["type"] == "impersonated service account"
    assert ident["impersonation_chain"] == ["ci@demo-project.iam.gserviceaccount.com",
                                            "deployer@demo-project.iam.gserviceaccount.com"]


def test_anonymous_emulator_principal(emulator: Start, run: Runner) -> None:
    emulator(_scenario(principal=None))
    ident = json.loads(run("doctor", "--json").out)["identity"]
    assert (ident["principal"], ident["type"]) == (None, "emulator anonymous")


def test_missing_adc_says_how_to_log_in(run: Runner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    result = run("doctor")
    assert result.code == 1
    out = result.out
    assert f"  source:         GOOGLE_APPLICATION_CREDENTIALS={tmp_path / 'missing.json'}\n" in out
    check = next(line for line in out.splitlines() if line.startswith("credentials"))
    assert check == (f"credentials  FAIL    GOOGLE_APPLICATION_CREDENTIALS names {tmp_path / 'missing.json'}, which "
                     "does not exist")
    assert ("fix: point it at an existing credentials file, or unset it to use gcloud's (`gcloud auth "
            "application-default login`)") in out
    row = [line.split()[-1] for line in out.splitlines() if line.startswith("resourcemanager.projects.get ")]
    assert row == ["SKIP"]
    assert out.rstrip().endswith("Doctor: no usable credentials, so nothing else could be checked.")


def test_missing_permissions_name_the_role(emulator: Start, run: Runner, tmp_path: Path) -> None:
    emulator(_scenario(permissions=["resourcemanager.projects.get", "serviceusage.services.get"]))
    cfg = write_config(tmp_path / "small.toml", extra="[logging]\nenabled = false\n")
    result = run("doctor", config=cfg)
    assert result.code == 3
    lines = result.out.splitlines()
    assert "permissions  FAIL    4 of 6 permissions missing" in lines
    assert ("                     fix: grant roles/aiplatform.user, roles/serviceusage.serviceUsageAdmin, "
            "roles/aiplatform.viewer, roles/cloudquotas.viewer to alice@example.com on project demo-project") in lines
    rows = {line.split()[0]: line.split() for line in lines if line.startswith(("aiplatform.", "serviceusage."))}
    assert rows["aiplatform.endpoints.predict"][-2:] == ["FAIL", "roles/aiplatform.user"]
    assert rows["serviceusage.services.enable"][-2:] == ["FAIL", "roles/serviceusage.serviceUsageAdmin"]
    assert rows["serviceusage.services.get"][-1] == "PASS"


def test_billing_off_fails(emulator: Start, run: Runner) -> None:
    emulator(_scenario(billing_enabled=False))
    result = run("doctor")
    assert result.code == 3
    assert ("billing      FAIL    billing is not enabled on project demo-project\n"
            "                     fix: link a billing account: "
            "https://console.cloud.google.com/billing/linkedaccount?project=demo-project\n") in result.out


def test_billing_is_inferred_when_the_billing_api_does_not_answer(emulator: Start, run: Runner) -> None:
    refuse = {"path": "/v1/projects/*/billingInfo", "status": 403, "reason": "SERVICE_DISABLED",
              "message": "Cloud Billing API has not been used in project 1 before or it is disabled."}
    emulator({**_scenario(billing_enabled=False), "faults": [refuse]})
    result = run("doctor", "--json")
    assert result.code == 3
    billing = next(c for c in json.loads(result.out)["checks"] if c["check"] == "billing")
    assert billing["result"] == "FAIL"
    assert billing["detail"] == ("billing is not enabled on project demo-project (Vertex AI answered BILLING_DISABLED; "
                                 "Cloud Billing API answered 403 PERMISSION_DENIED)")


def test_api_disabled_fails_with_the_fix(emulator: Start, run: Runner) -> None:
    emulator(_scenario(enabled_services=[]))
    result = run("doctor")
    assert result.code == 3
    assert ("api          FAIL    aiplatform.googleapis.com is DISABLED on project demo-project\n"
            "                     fix: run `vertex-claude-setup api enable` (or `vertex-claude-setup apply`)\n"
            ) in result.out


def test_doctor_never_prints_the_token(emulator: Start, run: Runner) -> None:
    emulator(_scenario())
    for args in (("doctor",), ("doctor", "--json")):
        result = run(*args)
        assert EMULATOR_TOKEN not in result.out + result.err


def test_permissions_follow_the_config() -> None:
    from vertex_claude_setup import config

    with_logging = command_permissions(config.load(None, {"project": "demo-project"}, environ={}))
    assert "resourcemanager.projects.setIamPolicy" in with_logging["apply"]
    assert "logging.buckets.list" in with_logging["plan"]  # the log-bucket step finds _Default with ListBuckets
    assert with_logging["smoke-test --verify-logged"] == ("aiplatform.endpoints.get", "aiplatform.endpoints.predict",
                                                          "bigquery.tables.get", "bigquery.tables.getData")


def test_emulated_tokeninfo_answers_like_google(emulator: Start) -> None:
    import requests

    emu = emulator(_scenario())
    base = f"http://{emu.address[0]}:{emu.address[1]}"
    info = requests.get(f"{base}/tokeninfo", params={"access_token": "t"}, timeout=5).json()
    assert info["email"] == "alice@example.com" and info["email_verified"] == "true"
    assert info["scope"] == "https://www.googleapis.com/auth/cloud-platform"
    assert int(info["expires_in"]) > 0 and info["exp"].isdigit()
    missing = requests.get(f"{base}/tokeninfo", timeout=5)
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_token")


def test_tokeninfo_never_carries_the_token_in_a_url(emulator: Start, run: Runner) -> None:
    """URLs end up in proxy and access logs: the token goes in the Authorization header of a POST."""
    emu = emulator(_scenario())
    result = run("doctor")
    assert "principal:      alice@example.com" in result.out  # tokeninfo did get the token
    calls = [r for r in emu.requests if r.path == "/tokeninfo"]
    assert calls
    assert all(r.method == "POST" and r.query == "" and r.raw_body == b"" for r in calls)


def test_emulated_tokeninfo_takes_the_bearer_header(emulator: Start) -> None:
    import requests

    emu = emulator(_scenario())
    base = f"http://{emu.address[0]}:{emu.address[1]}"
    info = requests.post(f"{base}/tokeninfo", headers={"Authorization": "Bearer t"}, timeout=5).json()
    assert info["email"] == "alice@example.com"
    missing = requests.post(f"{base}/tokeninfo", headers={"Authorization": "Basic dTpw"}, timeout=5)
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_token")


def test_enabling_models_needs_the_entitlement_manager_role(emulator: Start, run: Runner, tmp_path: Path) -> None:
    held = ["resourcemanager.projects.get", "serviceusage.services.get", "serviceusage.services.enable",
            "aiplatform.operations.list",
            "aiplatform.endpoints.predict", "cloudquotas.quotas.get"]
    emulator(_scenario(permissions=held))
    off = write_config(tmp_path / "off.toml", extra="[logging]\nenabled = false\n")
    assert run("doctor", config=off).code == 0  # enable = false: apply never enables, nothing more is needed
    on = write_config(tmp_path / "on.toml", extra="[logging]\nenabled = false\n[model_garden]\nenable = true\n")
    result = run("doctor", config=on)
    assert result.code == 3
    lines = result.out.splitlines()
    assert "permissions  FAIL    3 of 9 permissions missing" in lines
    assert ("                     fix: grant roles/consumerprocurement.entitlementManager to alice@example.com on "
            "project demo-project") in lines
    rows = {line.split()[0]: line.split() for line in lines if line.startswith("consumerprocurement.")}
    assert set(rows) == {"consumerprocurement.entitlements.get", "consumerprocurement.consents.check",
                         "consumerprocurement.consents.grant"}
    assert all(row[1:] == ["apply", "FAIL", "roles/consumerprocurement.entitlementManager"] for row in rows.values())


def test_org_policy_blocking_a_configured_model_fails_and_unreadable_warns(emulator: Start, run: Runner,
                                                                         tmp_path: Path) -> None:
    policy = {"vertexai.allowedModels": {"rules": [{"values": {"deniedValues": [
        "publishers/anthropic/models/claude-haiku-4-5:predict"]}}]}}
    emulator({**_scenario(parent="folders/42"), "org_policies": {"folders/42": policy}})
    cfg = write_config(tmp_path / "small.toml", extra="[logging]\nenabled = false\n")
    result = run("doctor", config=cfg)
    assert result.code == 3
    assert ("org policy   FAIL    constraints/vertexai.allowedModels blocks claude-haiku-4-5@20251001 (the effective "
            "constraints/vertexai.allowedModels policy denies publishers/anthropic/models/claude-haiku-4-5:predict)\n"
            "                     fix: ask an organization policy administrator to allow publishers/anthropic/models/"
            "claude-haiku-4-5:predict for project demo-project, or configure models it allows\n") in result.out


def test_org_policy_that_cannot_be_read_is_a_warning(emulator: Start, run: Runner, tmp_path: Path) -> None:
    held = ["resourcemanager.projects.get", "serviceusage.services.get", "serviceusage.services.enable",
            "aiplatform.operations.list",
            "aiplatform.endpoints.predict", "cloudquotas.quotas.get"]
    emulator(_scenario(permissions=held))
    cfg = write_config(tmp_path / "small.toml", extra="[logging]\nenabled = false\n")
    result = run("doctor", "--json", config=cfg)
    assert result.code == 0
    check = next(c for c in json.loads(result.out)["checks"] if c["check"] == "org policy")
    assert check["result"] == "WARN"
    assert check["detail"].startswith("constraints/vertexai.allowedModels not read: orgpolicy.googleapis.com (project "
                                      "demo-project): permission orgpolicy.policy.get denied")
    assert check["fix"].startswith("grant roles/orgpolicy.policyViewer to your principal on project demo-project")
