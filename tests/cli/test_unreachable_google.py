"""Whole commands against a Google that fails, stalls or refuses the credentials: a one-line error with the fix,
within the deadline (VERTEX_CLAUDE_RETRY_DEADLINE) — never a hang, never "unexpected … (a bug)"."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from audit_support import emulator as audit_emulator
from audit_support import run as audit_run
from conftest import PROJECT, Runner

from vertex_claude_setup.emulator import Emulator, State

BOUND_S = 20.0  # a deadline of 1 s plus the import of the client libraries; before: 45-150 s or forever
SERVICES = ["aiplatform.googleapis.com", "cloudquotas.googleapis.com"]
Scenario = Callable[[dict[str, Any]], Path]


@pytest.fixture(autouse=True)
def _one_second(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERTEX_CLAUDE_RETRY_DEADLINE", "1")


def test_doctor_with_google_down_is_one_error_within_the_deadline(run: Runner, scenario: Scenario) -> None:
    path = scenario({"projects": {PROJECT: {"enabled_services": SERVICES}},
                     "principal": {"email": "alice@example.com", "type": "user"}, "faults": [{"status": 503}]})
    began = time.monotonic()
    result = run("--emulator", "--scenario", str(path), "--project", PROJECT, "doctor")
    assert time.monotonic() - began < BOUND_S
    assert (result.code, result.out) == (1, "")
    assert re.fullmatch(r"Error: cloudresourcemanager\.googleapis\.com \(project demo-project\): Google answered 503 "
                        r"UNAVAILABLE \(\d+ attempts\): The service is currently unavailable\.\n"
                        r"  fix: retry later; see https://status\.cloud\.google\.com\n", result.err), result.err


def test_a_one_pair_audit_with_google_down_ends_within_the_deadline(monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    began = time.monotonic()
    with audit_emulator(monkeypatch, {"projects": {PROJECT: {"enabled_services": SERVICES}},
                                      "faults": [{"status": 503}]}):
        code, out, err = audit_run(capsys, "--project", PROJECT, "regions", "audit", "--models",
                                   "claude-sonnet-4-5@20250929", "--regions", "us-east5")
    assert time.monotonic() - began < BOUND_S
    assert (code, err) == (3, "")
    assert re.search(r"\nQuota: not shown: cloudquotas\.googleapis\.com \(project demo-project\): Google answered 503 "
                     r"UNAVAILABLE \(\d+ attempts\): The service is currently unavailable\. \(fix: retry later; see "
                     r"https://status\.cloud\.google\.com\)\n", out), out
    assert "RetryError" not in out


@pytest.mark.parametrize("value", ["abc", "nan", "-5"])
def test_a_bad_retry_deadline_is_one_error(run: Runner, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("VERTEX_CLAUDE_RETRY_DEADLINE", value)
    result = run("--emulator", "--project", PROJECT, "plan")
    assert (result.code, result.out) == (1, "")
    assert result.err == (f"Error: environment VERTEX_CLAUDE_RETRY_DEADLINE: '{value}' is not a number of seconds from "
                          "0.1 to 3600\n  fix: set it like VERTEX_CLAUDE_RETRY_DEADLINE=60, or unset it\n")


def test_a_stalled_log_bucket_fails_its_step_within_the_deadline(run: Runner, scenario: Scenario) -> None:
    path = scenario({"projects": {PROJECT: {"enabled_services": ["aiplatform.googleapis.com"]}},
                     "faults": [{"path": "/google.logging.v2.ConfigServiceV2/ListBuckets", "latency_ms": 120_000}]})
    began = time.monotonic()
    result = run("--emulator", "--scenario", str(path), "--project", PROJECT, "plan")
    assert time.monotonic() - began < BOUND_S
    assert result.code == 1
    assert re.search(r"(^|\n)Error: log-bucket: logging\.googleapis\.com \(project demo-project\): ListBuckets got no "
                     r"answer from 127\.0\.0\.1:\d+ within the 1 s deadline \(1 attempt\)\n"
                     r"  fix: check network access to 127\.0\.0\.1:\d+ \(proxy, firewall, \[endpoints\]\); "
                     r"if Google is only slow, raise VERTEX_CLAUDE_RETRY_DEADLINE \(now 1 s\)\n",
                     result.out), result.out
    assert "unexpected" not in result.out + result.err


def test_revoked_credentials_are_one_error_per_step(run: Runner, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    serialization = pytest.importorskip("cryptography.hazmat.primitives.serialization")
    rsa = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.rsa")
    emu = Emulator(State.from_scenario({"principal": {"type": "service_account", "revoked": True},
                                        "projects": {PROJECT: {"enabled_services": SERVICES}}}))
    url = emu.start()
    try:
        pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
        key = tmp_path / "key.json"
        key.write_text(json.dumps({"type": "service_account", "project_id": PROJECT, "private_key": pem,
                                   "private_key_id": "0123", "client_email": f"ci@{PROJECT}.iam.gserviceaccount.com",
                                   "client_id": "1", "token_uri": f"{url}/token"}), encoding="utf-8")
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key))
        endpoints = "\n".join(f'{name} = "{url}"' for name in (
            "serviceusage", "resourcemanager", "aiplatform", "aiplatform_global", "bigquery", "cloudquotas", "oauth2",
            "cloudbilling"))
        (tmp_path / "vertex-claude.toml").write_text(
            f'project = "{PROJECT}"\nregions = ["us-east5"]\n[logging]\naudit_logs = false\n[smoke_test]\n'
            f"enabled = false\n[endpoints]\n{endpoints}\n", encoding="utf-8")
        result = run("plan")
    finally:
        emu.stop()
    assert result.code == 1
    assert (f"\nError: logging-dataset: bigquery.googleapis.com (project demo-project): the credentials from "
            f"GOOGLE_APPLICATION_CREDENTIALS={key} could not be refreshed: invalid_grant: Invalid JWT Signature.\n"
            "  fix: run `gcloud auth application-default login` (or point GOOGLE_APPLICATION_CREDENTIALS at valid "
            "credentials; with --impersonate-service-account, check the impersonation)\n") in result.out
    assert "unexpected" not in result.out + result.err


def test_apply_converges_through_500s_where_repeating_is_safe(run: Runner, scenario: Scenario) -> None:
    """Every read and every safe write answers 500 INTERNAL once: one apply still makes and verifies it all."""
    once = [{"method": method, "path": path, "status": 500, "times": 1} for method, path in (
        ("GET", "/v3/projects/*"), ("GET", "/v1/projects/*/services/*"), ("POST", "/v1/projects/*/services/*:enable"),
        ("GET", "/bigquery/v2/projects/*/datasets/*"), ("GET", "*:fetchPublisherModelConfig"),
        ("POST", "*:setPublisherModelConfig"), ("POST", "/v3/projects/*:getIamPolicy"),
        ("POST", "/v3/projects/*:setIamPolicy"), ("POST", "/google.logging.v2.ConfigServiceV2/ListBuckets"),
        ("POST", "/google.logging.v2.ConfigServiceV2/GetBucket"))]
    path = scenario({"faults": once})
    result = run("--emulator", "--scenario", str(path), "--project", PROJECT, "apply", "--auto-approve")
    assert result.code == 0, result.out
    assert "Apply complete!" in result.out
    assert run("--emulator", "--project", PROJECT, "plan", "--detailed-exitcode").code == 0
