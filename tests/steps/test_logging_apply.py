"""plan → apply → plan for the logging steps, through the emulator and the real Google clients."""

from __future__ import annotations

import copy
import json
from typing import Any

import logging_support
from logging_support import MODEL, PROJECT, Env

make_env = logging_support.make_env  # the fixture: a fresh emulator and config per test

DAY_MS = 86_400_000

FRESH_PLAN = f"""\
vertex-claude-setup will perform the following actions on project {PROJECT}:

  + enable service aiplatform.googleapis.com on project {PROJECT}
      DISABLED → ENABLED
      # Claude on Vertex AI is served by the Vertex AI API
  + create BigQuery dataset {PROJECT}:claude_logs (US, 30-day partition expiry)
      (none) → {{"defaultPartitionExpirationMs": 2592000000, "location": "US"}}
      # destination of request-response logs; Vertex creates the table in it
  ~ enable request-response logging {MODEL} in us-east5
      (known after apply) → {{"bigqueryDestination": {{"outputUri": "bq://{PROJECT}.claude_logs.request_response_logging"}}, "enabled": true, "samplingRate": 1.0}}
      # the Vertex AI API is enabled first
  ~ Data Access audit logs for aiplatform.googleapis.com: DATA_READ, DATA_WRITE
      (none) → ["DATA_READ", "DATA_WRITE"]
      # records who called Claude (Data Access audit logs are off by default)

Checks:
  ! model {MODEL} (Claude Sonnet 4) is deprecated since 2026-04-14; move to claude-sonnet-4-5@20250929
      fix: update models in vertex-claude.toml (`vertex-claude-setup models` lists them)
  · model availability: known after apply (the Vertex AI API is being enabled first); apply checks it once the API is on
  ! request-response logging cannot be configured in global (for {MODEL}): Google supports it for Anthropic models only on regional endpoints, so calls through global are not logged
      fix: send Claude calls to a regional endpoint (e.g. us-east5) for logged traffic, or rely on Data Access audit logs for global calls

Plan: 2 to add, 2 to change, 0 to destroy.
"""  # noqa: E501


def test_fresh_project_plan_apply_converges(make_env: Any) -> None:
    env: Env = make_env(regions=["us-east5", "global"])
    code, out, _ = env.run("plan")
    assert out == FRESH_PLAN
    assert code == 0
    # The API is about to be enabled: plan must not have called Vertex AI at all.
    assert env.paths("publishers") == []
    code, out, err = env.run("apply", "--auto-approve")
    assert code == 0, out + err
    assert out.endswith("Apply complete! 4 applied.\n")
    code, out, _ = env.run("plan", "--detailed-exitcode")
    assert code == 0
    assert out.endswith(f"No changes. Project {PROJECT} matches the configuration.\n")
    config = env.project["publisherModelConfigs"][f"us-east5/{MODEL}"]["loggingConfig"]
    assert config["enabled"] is True and config["samplingRate"] == 1.0
    dataset = env.project["bigquery"]["datasets"]["claude_logs"]
    assert (dataset["location"], dataset["defaultPartitionExpirationMs"]) == ("US", str(30 * DAY_MS))
    assert "defaultTableExpirationMs" not in dataset
    set_calls = [r for r in env.emulator.requests if r.path.endswith(":setPublisherModelConfig")]
    assert [r.json()["updateMask"] for r in set_calls] == ["loggingConfig"]


def test_longer_retention_is_never_shortened(make_env: Any) -> None:
    scenario = {"projects": {PROJECT: {"enabled_services": ["aiplatform.googleapis.com"],
                                       "log_buckets": {"_Default": {"retentionDays": 400}}}}}
    env: Env = make_env(scenario)
    from vertex_claude_setup.emulator import bigquery

    bigquery.seed_dataset(env.project, "claude_logs", defaultPartitionExpirationMs=str(400 * DAY_MS))
    code, out, err = env.run("apply", "--auto-approve")
    assert code == 0, out + err
    assert "dataset" not in out and "partition expiration" not in out and "log bucket" not in out
    assert env.project["bigquery"]["datasets"]["claude_logs"]["defaultPartitionExpirationMs"] == str(400 * DAY_MS)
    assert env.project["logBuckets"]["global/_Default"]["retentionDays"] == 400


def test_short_partition_expirations_are_raised_and_table_expiry_reported(make_env: Any) -> None:
    env: Env = make_env({"projects": {PROJECT: {"enabled_services": ["aiplatform.googleapis.com"]}}})
    from vertex_claude_setup.emulator import bigquery

    bigquery.seed_dataset(env.project, "claude_logs", defaultPartitionExpirationMs=str(10 * DAY_MS))
    bigquery.create_table(env.project, "claude_logs", "request_response_logging",
                          {"timePartitioning": {"type": "DAY", "field": "logging_time"},
                           "expirationTime": "4102444800000"})
    code, out, _ = env.run("plan")
    assert code == 3
    assert f"""\
  ~ raise default partition expiration of dataset {PROJECT}:claude_logs
      10 days → 30 days
      # logs must be kept at least 30 days; never shortened
  ~ raise partition expiration of table {PROJECT}:claude_logs.request_response_logging
      10 days → 30 days
      # rows must be kept at least 30 days on a rolling basis
""" in out
    assert f"""\
  ✗ non-compliant: table {PROJECT}:claude_logs.request_response_logging expires at 2100-01-01 00:00 UTC: the whole \
table, every row included, is deleted then
      fix: bq update --expiration 0 {PROJECT}:claude_logs.request_response_logging
""" in out
    code, out, err = env.run("apply", "--auto-approve")
    assert code == 3, out + err  # applied, but the non-compliance it must not fix is a failed check
    table = env.project["bigquery"]["tables"]["claude_logs/request_response_logging"]
    assert table["timePartitioning"] == {"type": "DAY", "field": "logging_time", "expirationMs": str(30 * DAY_MS)}
    assert table["expirationTime"] == "4102444800000"  # reported, never changed by the tool


def test_locked_short_bucket_is_reported_and_untouched(make_env: Any) -> None:
    scenario = {"projects": {PROJECT: {"enabled_services": ["aiplatform.googleapis.com"],
                                       "log_buckets": {"_Default": {"retentionDays": 10, "locked": True}}}}}
    env: Env = make_env(scenario)
    code, out, _ = env.run("plan")
    assert code == 3
    assert (f"  ✗ non-compliant: log bucket projects/{PROJECT}/locations/global/buckets/_Default is locked at 10 days "
            "(< 30); not touched\n      fix: the lock is permanent: route the audit logs to a new bucket") in out
    code, out, err = env.run("apply", "--auto-approve")
    assert code == 3, out + err  # applied, but the non-compliance it must not fix is a failed check
    assert env.project["logBuckets"]["global/_Default"] == {**env.project["logBuckets"]["global/_Default"],
                                                            "retentionDays": 10, "locked": True}
    code, out, _ = env.run("logging", "verify")
    assert code == 3
    assert "FAIL  Cloud Logging bucket _Default retention ≥ 30 days" in out


def test_short_unlocked_bucket_is_raised(make_env: Any) -> None:
    env: Env = make_env({"projects": {PROJECT: {"log_buckets": {"_Default": {"retentionDays": 7}}}}},
                        extra="[logging]\nretention_days = 90\n")
    code, out, _ = env.run("plan")
    assert "  ~ raise _Default log bucket retention\n      7 days → 90 days\n" in out
    assert "retention_days = 0" not in out  # the keep-forever cost warning is for 3650 days only
    code, out, err = env.run("apply", "--auto-approve")
    assert code == 0, out + err
    assert env.project["logBuckets"]["global/_Default"]["retentionDays"] == 90


POLICY: dict[str, Any] = {
    "version": 3, "etag": "BwYAAAAAAAA=",
    "bindings": [
        {"role": "roles/owner", "members": ["user:owner@example.com"]},
        {"role": "roles/aiplatform.user",
         "members": ["group:ml@example.com", "serviceAccount:a@p.iam.gserviceaccount.com"],
         "condition": {"title": "until 2030", "description": "temporary",
                       "expression": "request.time < timestamp('2030-01-01T00:00:00Z')"}},
    ],
    "auditConfigs": [
        {"service": "allServices", "auditLogConfigs": [{"logType": "ADMIN_READ",
                                                        "exemptedMembers": ["user:bot@example.com"]}]},
        {"service": "storage.googleapis.com", "auditLogConfigs": [{"logType": "DATA_READ"}]},
    ],
}


def test_iam_policy_kept_except_added_audit_config(make_env: Any) -> None:
    env: Env = make_env({"projects": {PROJECT: {"iam_policy": copy.deepcopy(POLICY)}}},
                        extra="[logging]\nadmin_read = true\n")
    code, out, err = env.run("apply", "--auto-approve")
    assert code == 0, out + err
    after = env.project["iamPolicy"]
    expected = copy.deepcopy(POLICY)
    # ADMIN_READ is already on through allServices (Google applies the union): not duplicated.
    expected["auditConfigs"].append({"service": "aiplatform.googleapis.com", "auditLogConfigs": [
        {"logType": "DATA_READ"}, {"logType": "DATA_WRITE"}]})
    assert after["etag"] != POLICY["etag"]
    assert json.dumps({**after, "etag": ""}) == json.dumps({**expected, "etag": ""})


def test_etag_race_is_retried_by_rereading(make_env: Any) -> None:
    # Another admin gets there just before each of apply's first two setIamPolicy calls.
    race = {"method": "POST", "path": "*:setIamPolicy", "when": "before", "resource": "iam_policy", "project": PROJECT}
    env: Env = make_env({"concurrent_writes": [
        {**race, "nth": 1, "auditConfigs": [{"service": "bigquery.googleapis.com",
                                             "auditLogConfigs": [{"logType": "DATA_WRITE"}]}]},
        {**race, "nth": 2, "auditConfigs": [{"service": "sqladmin.googleapis.com",
                                             "auditLogConfigs": [{"logType": "DATA_READ"}]}]}]})
    code, out, err = env.run("apply", "--auto-approve")
    assert code == 0, out + err
    assert len(env.paths(":setIamPolicy")) == 3
    assert [rule["fired"] for rule in env.emulator.state.data["concurrent_writes"]] == [1, 1]
    services = [c["service"] for c in env.project["iamPolicy"]["auditConfigs"]]
    # Both racing writes survive: the tool re-read and merged instead of overwriting.
    assert services == ["bigquery.googleapis.com", "sqladmin.googleapis.com", "aiplatform.googleapis.com"]


def test_fields_the_tool_does_not_own_survive(make_env: Any) -> None:
    existing = {"dataSharingEnabledProvider": "ANTHROPIC", "claudeFeatureConfig": {"advancedAiEnabled": True},
                "loggingConfig": {"enabled": False, "samplingRate": 0.2, "errorSamplingRate": 1.0}}
    scenario = {"projects": {PROJECT: {"enabled_services": ["aiplatform.googleapis.com"],
                                       "publisherModelConfigs": {f"us-east5/{MODEL}": copy.deepcopy(existing)}}}}
    env: Env = make_env(scenario)
    code, out, err = env.run("apply", "--auto-approve")
    assert code == 0, out + err
    config = env.project["publisherModelConfigs"][f"us-east5/{MODEL}"]
    assert config["dataSharingEnabledProvider"] == "ANTHROPIC"
    assert config["claudeFeatureConfig"] == {"advancedAiEnabled": True}
    assert config["loggingConfig"]["errorSamplingRate"] == 1.0
    assert config["loggingConfig"]["enabled"] is True and config["loggingConfig"]["samplingRate"] == 1.0
    code, out, err = env.run("logging", "disable", "--model", MODEL, "--region", "us-east5", "--yes")
    assert code == 0, out + err
    config = env.project["publisherModelConfigs"][f"us-east5/{MODEL}"]
    assert config["dataSharingEnabledProvider"] == "ANTHROPIC"
    assert config["loggingConfig"]["enabled"] is False
    assert config["loggingConfig"]["bigqueryDestination"] == {
        "outputUri": f"bq://{PROJECT}.claude_logs.request_response_logging"}


def test_unavailable_pair_reported_with_its_class(make_env: Any) -> None:
    scenario = {"projects": {PROJECT: {"enabled_services": ["aiplatform.googleapis.com"],
                                       "availability": {f"{MODEL}|europe-west1": "NOT_SERVABLE_IN_REGION"}}}}
    env: Env = make_env(scenario, regions=["us-east5", "europe-west1"])
    code, out, _ = env.run("plan")
    assert code == 3  # the availability check fails for europe-west1
    assert f"~ enable request-response logging {MODEL} in us-east5" in out
    assert "in europe-west1\n" not in out.split("Checks:")[0]
    assert f"  ! {MODEL} in europe-west1: NOT_SERVABLE_IN_REGION: logging not configured there\n      fix: call " in out


def _logging_at(rate: float) -> dict[str, Any]:
    config = {"loggingConfig": {"enabled": True, "samplingRate": rate, "bigqueryDestination": {
        "outputUri": f"bq://{PROJECT}.claude_logs.request_response_logging"}}}
    return {"projects": {PROJECT: {"enabled_services": ["aiplatform.googleapis.com"],
                                   "publisherModelConfigs": {f"us-east5/{MODEL}": config}}}}


def test_higher_sampling_rate_is_never_lowered(make_env: Any) -> None:
    env: Env = make_env(_logging_at(1.0), extra="[logging]\nsampling_rate = 0.1\n")
    code, out, err = env.run("plan")
    assert code == 0, out + err
    assert "request-response logging" not in out.split("Checks:")[0]
    code, out, err = env.run("apply", "--auto-approve")
    assert code == 0, out + err
    assert env.project["publisherModelConfigs"][f"us-east5/{MODEL}"]["loggingConfig"]["samplingRate"] == 1.0
    assert env.paths(":setPublisherModelConfig") == []
    code, out, _ = env.run("logging", "verify")
    assert code == 0, out
    assert (f"PASS  sampling rate {MODEL} in us-east5             samplingRate 1 (configured 0.1; a higher rate is "
            "kept, never lowered)\n") in out


def test_lower_sampling_rate_is_raised_to_the_configured_one(make_env: Any) -> None:
    env: Env = make_env(_logging_at(0.05), extra="[logging]\nsampling_rate = 0.1\n")
    code, out, _ = env.run("plan")
    assert (f"  ~ raise request-response logging sampling rate {MODEL} in us-east5\n"
            f'      {{"bigqueryDestination": {{"outputUri": "bq://{PROJECT}.claude_logs.request_response_logging"}}, '
            '"enabled": true, "samplingRate": 0.05} → {"bigqueryDestination": {"outputUri": '
            f'"bq://{PROJECT}.claude_logs.request_response_logging"}}, "enabled": true, "samplingRate": 0.1}}\n') in out
    code, out, err = env.run("apply", "--auto-approve")
    assert code == 0, out + err
    assert env.project["publisherModelConfigs"][f"us-east5/{MODEL}"]["loggingConfig"]["samplingRate"] == 0.1


def test_logging_enable_sets_exactly_the_configured_rate(make_env: Any) -> None:
    env: Env = make_env(_logging_at(1.0), extra="[logging]\nsampling_rate = 0.1\n")
    code, out, err = env.run("logging", "enable", "--model", MODEL, "--region", "us-east5")
    assert code == 0, err
    assert out.endswith(f"{MODEL} in us-east5: logging to bq://{PROJECT}.claude_logs.request_response_logging "
                        "(sampling 0.1)\n")
    assert env.project["publisherModelConfigs"][f"us-east5/{MODEL}"]["loggingConfig"]["samplingRate"] == 0.1


def test_keep_forever_warns_that_default_bucket_holds_all_logs_and_is_billed(make_env: Any) -> None:
    env: Env = make_env({"projects": {PROJECT: {"enabled_services": ["aiplatform.googleapis.com"]}}},
                        extra="[logging]\nretention_days = 0\n")
    code, out, _ = env.run("plan")
    assert code == 0, out
    assert "  ~ raise _Default log bucket retention\n      30 days → 3650 days\n" in out
    assert (
        "  ! retention_days = 0 raises the project-wide _Default log bucket from 30 to 3650 days: it holds ALL of the "
        "project's logs (not only Claude's audit logs), and Cloud Logging bills retention past 30 days per GiB per "
        "month\n"
        "      fix: to keep only the audit logs that long, set [logging] retention_days to a finite value (e.g. 30) "
        "and give them a dedicated bucket and sink: `gcloud logging buckets create claude-audit --project "
        f"{PROJECT} --location global --retention-days 3650` and `gcloud logging sinks create claude-audit "
        f"logging.googleapis.com/projects/{PROJECT}/locations/global/buckets/claude-audit --log-filter "
        "'logName:\"cloudaudit.googleapis.com%2Fdata_access\"'`\n") in out
    # Once raised (the user's choice), nothing is planned and the warning is not repeated.
    assert env.run("apply", "--auto-approve")[0] == 0
    code, out, _ = env.run("plan")
    assert "retention_days = 0" not in out

