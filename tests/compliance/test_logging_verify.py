"""``logging verify`` output (whole text, JUnit, JSON), enable/disable, rows arriving, the LRO /ui/ poll."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import logging_support
import pytest
from conftest import Runner
from logging_support import MODEL, PROJECT, Env

make_env = logging_support.make_env  # the fixture: a fresh emulator and config per test

URI = f"bq://{PROJECT}.claude_logs.request_response_logging"

VERIFY_TABLE = """\
Logging compliance for project demo-project

PASS  request-response logging claude-sonnet-4@20250514 in us-east5  enabled, writing to bq://demo-project.claude_logs.request_response_logging
PASS  sampling rate claude-sonnet-4@20250514 in us-east5             samplingRate 1 (configured 1)
WARN  request-response logging claude-sonnet-4@20250514 in global    global endpoint: Google supports request-response logging for Anthropic models only on regional endpoints
                                                                     fix: log traffic through a regional endpoint
PASS  destination dataset demo-project:claude_logs                   exists in US
PASS  log table demo-project:claude_logs.request_response_logging    exists
PASS  log retention in demo-project:claude_logs ≥ 30 days            partitions expire after 30 days (rolling)
PASS  Data Access audit logs for aiplatform.googleapis.com           DATA_READ, DATA_WRITE on
PASS  Cloud Logging bucket _Default retention ≥ 30 days              30 days

7 passed, 0 failed, 1 warnings: compliant
"""  # noqa: E501


def _call_claude(env: Env, region: str = "us-east5") -> None:
    import requests

    url = f"{env.url}/v1/projects/{PROJECT}/locations/{region}/publishers/anthropic/models/{MODEL}:rawPredict"
    resp = requests.post(url, json={"anthropic_version": "vertex-2023-10-16", "max_tokens": 20,
                                    "messages": [{"role": "user", "content": "Hey Claude!"}]}, timeout=10)
    assert resp.status_code == 200, resp.text


def test_verify_after_apply_and_rows_arrive(make_env: Any) -> None:
    env: Env = make_env(regions=["us-east5", "global"])
    assert env.run("apply", "--auto-approve")[0] == 0
    _call_claude(env)
    _call_claude(env)
    code, out, _ = env.run("logging", "verify")
    assert (code, out) == (0, VERIFY_TABLE)
    # The rows can be read back with the real BigQuery client (what a smoke test uses).
    from vertex_claude_setup.config import load
    from vertex_claude_setup.gcp import bigquery
    from vertex_claude_setup.gcp.session import EmulatorTarget, GoogleApis

    google = GoogleApis(load(), EmulatorTarget.from_env())
    rows = bigquery.recent_rows(google, PROJECT, "claude_logs")
    assert len(rows) == 2
    assert rows[0]["model"] == "publishers/anthropic/models/claude-sonnet-4"
    assert rows[0]["full_request"]["messages"] == [{"role": "user", "content": "Hey Claude!"}]
    assert rows[0]["logging_time"].year >= 2025
    table = bigquery.get_table(google, PROJECT, "claude_logs")
    assert table is not None
    assert table["timePartitioning"] == {"type": "DAY", "field": "logging_time", "expirationMs": str(30 * 86_400_000)}


def test_verify_junit_and_json_for_a_fresh_project(make_env: Any, tmp_path: Any) -> None:
    env: Env = make_env({"projects": {PROJECT: {"enabled_services": ["aiplatform.googleapis.com"]}}})
    out_file = tmp_path / "report.xml"
    code, out, _ = env.run("logging", "verify", "--format", "junit", "--output", str(out_file))
    assert code == 3
    assert out == f"Wrote the junit report to {out_file}: 1 passed, 3 failed, 0 warnings: NOT compliant\n"
    root = ET.fromstring(out_file.read_text(encoding="utf-8"))
    cases = root.findall("./testsuite/testcase")
    assert [(c.get("classname"), c.find("failure") is not None) for c in cases] == [
        ("logging.request-logging", True), ("logging.destination", True), ("logging.audit-logs", True),
        ("logging.bucket-retention", False)]
    assert root.get("tests") == "4" and root.get("failures") == "3"
    failure = cases[0].find("failure")
    assert failure is not None and failure.get("message") == "logging is disabled"
    code, out, _ = env.run("logging", "verify", "--format", "json")
    data = json.loads(out)
    assert code == 3 and data["compliant"] is False
    assert data["summary"] == {"PASS": 1, "FAIL": 3, "WARN": 0}
    assert data["checks"][0] == {
        "id": f"request-logging/{MODEL}/us-east5", "name": f"request-response logging {MODEL} in us-east5",
        "status": "FAIL", "reason": "logging is disabled",
        "fix": f"run `vertex-claude-setup apply`, or `vertex-claude-setup logging enable --model {MODEL} "
               "--region us-east5`"}
    # verify is read-only: nothing but reads reached the emulator.
    assert {r.method for r in env.emulator.requests} <= {"GET", "POST"}
    assert [r.path for r in env.emulator.requests if r.method == "POST" and "count-tokens" not in r.path
            and not r.path.endswith(":getIamPolicy")] == []


def test_enable_then_disable_asks_first(make_env: Any) -> None:
    env: Env = make_env({"projects": {PROJECT: {"enabled_services": ["aiplatform.googleapis.com"]}}})
    code, out, err = env.run("logging", "enable", "--model", MODEL, "--region", "us-east5")
    assert code == 0, err
    assert out == (f"created {PROJECT}:claude_logs in US\n"
                   f"{MODEL} in us-east5: logging to {URI} (sampling 1.0)\n")
    code, out, err = env.run("logging", "disable", "--model", MODEL, "--region", "us-east5")
    assert code == 1
    assert "disable needs confirmation: pass --yes" in err
    assert env.project["publisherModelConfigs"][f"us-east5/{MODEL}"]["loggingConfig"]["enabled"] is True


def test_bad_pairs_are_one_line_errors(make_env: Any) -> None:
    env: Env = make_env()
    code, _, err = env.run("logging", "enable", "--model", MODEL, "--region", "global")
    assert code == 1
    assert err.startswith("Error: --region global: request-response logging cannot be configured on the global "
                          "endpoint")
    assert "  fix: pick the region you call Claude through, e.g. --region us-east5\n" in err
    code, _, err = env.run("logging", "enable", "--model", "gpt-4", "--region", "us-east5")
    assert code == 1 and err.startswith("Error: --model 'gpt-4': use a Vertex id like")
    assert "Traceback" not in err


def test_set_operation_polled_on_v1beta1_and_ui_paths(make_env: Any) -> None:
    env: Env = make_env({"defaults": {"operation_polls": 2},
                         "projects": {PROJECT: {"enabled_services": ["aiplatform.googleapis.com"]}}})
    from google.auth.credentials import AnonymousCredentials
    from google.auth.transport.requests import AuthorizedSession

    session = AuthorizedSession(AnonymousCredentials())
    base = f"{env.url}/v1beta1/projects/{PROJECT}/locations/us-east5/publishers/anthropic/models/{MODEL}"
    op = session.post(f"{base}:setPublisherModelConfig", json={
        "publisherModelConfig": {"dataSharingEnabledProvider": "ANTHROPIC"},
        "updateMask": "dataSharingEnabledProvider"}).json()
    assert op["done"] is False and "/operations/" in op["name"]
    assert session.get(f"{env.url}/ui/{op['name']}").json()["done"] is False
    done = session.get(f"{env.url}/v1beta1/{op['name']}").json()
    assert done["done"] is True
    assert done["response"]["dataSharingEnabledProvider"] == "ANTHROPIC"
    # And the tool's own path waits for a pending operation.
    code, _, err = env.run("logging", "enable", "--model", MODEL, "--region", "us-east5")
    assert code == 0, err
    config = env.project["publisherModelConfigs"][f"us-east5/{MODEL}"]
    assert config["dataSharingEnabledProvider"] == "ANTHROPIC" and config["loggingConfig"]["enabled"] is True


def _retention_check(env: Env) -> dict[str, Any]:
    code, out, err = env.run("logging", "verify", "--format", "json")
    assert code in (0, 3), err  # verify could read everything (1 would be a read error)
    return next(c for c in json.loads(out)["checks"] if c["id"] == f"retention/{PROJECT}:claude_logs")


def _dataset_with_both_defaults(env: Env) -> None:
    from vertex_claude_setup.emulator import bigquery

    bigquery.seed_dataset(env.project, "claude_logs", defaultTableExpirationMs=str(60 * 86_400_000),
                          defaultPartitionExpirationMs=str(30 * 86_400_000))


def test_default_table_expiration_decided_by_the_log_tables_partitioning(make_env: Any) -> None:
    from vertex_claude_setup.emulator import bigquery

    scenario = {"projects": {PROJECT: {"enabled_services": ["aiplatform.googleapis.com"]}}}
    fix = f"bq update --default_table_expiration 0 {PROJECT}:claude_logs"
    # No log table yet: whether Vertex partitions it is not documented, so the default is a risk (WARN).
    env: Env = make_env(scenario)
    _dataset_with_both_defaults(env)
    check = _retention_check(env)
    assert (check["status"], check["fix"]) == ("WARN", fix)
    assert check["reason"] == (
        f"dataset {PROJECT}:claude_logs has a default table expiration of 60 days: if the log table Vertex creates "
        "there is not partitioned, it inherits that expiration and is deleted whole, rows younger than 30 days "
        "included (a partitioned one takes the default partition expiration instead)")
    code, out, _ = env.run("plan")
    assert f"  ! risk: dataset {PROJECT}:claude_logs has a default table expiration of 60 days: if the log" in out
    # An unpartitioned log table: it inherited the table expiration and is deleted whole (FAIL).
    bigquery.create_table(env.project, "claude_logs", "request_response_logging", {})
    check = _retention_check(env)
    assert check["status"] == "FAIL"
    assert check["reason"].startswith(
        f"dataset {PROJECT}:claude_logs has a default table expiration of 60 days and log table "
        f"{PROJECT}:claude_logs.request_response_logging is not partitioned: the table (and any re-created one) "
        f"expires whole, rows younger than 30 days included; table {PROJECT}:claude_logs.request_response_logging "
        "expires at ")
    code, out, _ = env.run("plan")
    assert code == 3
    assert f"  ✗ non-compliant: dataset {PROJECT}:claude_logs has a default table expiration of 60 days and" in out
    # A partitioned log table: BigQuery ignores the table default for it (the partition expiration applies).
    env = make_env(scenario)
    _dataset_with_both_defaults(env)
    bigquery.create_table(env.project, "claude_logs", "request_response_logging",
                          {"timePartitioning": {"type": "DAY", "field": "logging_time"}})
    check = _retention_check(env)
    assert (check["status"], check["reason"]) == ("PASS", "partitions expire after 30 days (rolling)")
    # Partitioned, but the dataset has no default partition expiration: a re-created table inherits the table default.
    env = make_env(scenario)
    bigquery.seed_dataset(env.project, "claude_logs", defaultTableExpirationMs=str(60 * 86_400_000))
    bigquery.create_table(env.project, "claude_logs", "request_response_logging",
                          {"timePartitioning": {"type": "DAY", "field": "logging_time"}})
    check = _retention_check(env)
    assert check["status"] == "FAIL"
    assert check["reason"].startswith(
        f"dataset {PROJECT}:claude_logs has a default table expiration of 60 days and no default partition "
        f"expiration: a re-created log table {PROJECT}:claude_logs.request_response_logging would inherit the table "
        "expiration and be deleted whole, rows younger than 30 days included; table ")


def test_logging_off_by_configuration_is_said_once(run: Runner, config_file: Callable[[str], Path],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # Not five FAILs whose fix (`apply`) cannot work under this config: one line naming the setting.
    config_file('project = "demo-project"\n[logging]\nenabled = false\n')
    result = run("--emulator", "logging", "verify", "--format", "junit")
    assert (result.code, result.out) == (1, "")
    assert result.err == ("Error: request-response logging is off by configuration ([logging] enabled = false in "
                          "vertex-claude.toml): there is no logging set-up to verify\n"
                          "  fix: set [logging] enabled = true, run `vertex-claude-setup apply`, then `logging verify` "
                          "again\n")
    config_file('project = "demo-project"\n')
    monkeypatch.setenv("VERTEX_CLAUDE_LOGGING_ENABLED", "0")
    from_env = run("--emulator", "logging", "verify")
    assert "([logging] enabled = false by VERTEX_CLAUDE_LOGGING_ENABLED)" in from_env.err
