"""Another writer changes what `apply` manages while it runs: nothing it raised is lowered, nothing it added is lost.

The emulator's ``concurrent_writes`` stand for the other writer: a write that lands just before (or right after)
a given request, through the same bookkeeping as a real write (etags change).
"""

from __future__ import annotations

import copy
from typing import Any

import logging_support
from logging_support import PROJECT, Env

make_env = logging_support.make_env  # the fixture: a fresh emulator and config per test

DAY_MS = 86_400_000
ON = ["aiplatform.googleapis.com"]
DATASET_PATH = f"/bigquery/v2/projects/{PROJECT}/datasets/claude_logs"
TABLE_PATH = f"{DATASET_PATH}/tables/request_response_logging"
BUCKET_RPC = "/google.logging.v2.ConfigServiceV2/*"


def _short_dataset(env: Env, *, table: bool = False) -> None:
    from vertex_claude_setup.emulator import bigquery

    bigquery.seed_dataset(env.project, "claude_logs", defaultPartitionExpirationMs=str(10 * DAY_MS))
    if table:
        bigquery.create_table(env.project, "claude_logs", "request_response_logging",
                              {"timePartitioning": {"type": "DAY", "field": "logging_time",
                                                    "expirationMs": str(10 * DAY_MS)}})


def _dataset_ms(env: Env) -> str:
    return str(env.project["bigquery"]["datasets"]["claude_logs"].get("defaultPartitionExpirationMs"))


def _patches(env: Env, path: str) -> list[Any]:
    return [r for r in env.emulator.requests if r.method == "PATCH" and r.path == path]


# -- BigQuery: the log dataset and table -------------------------------------------------------------
def test_dataset_raised_to_400_days_after_the_plan_is_not_lowered_to_30(make_env: Any) -> None:
    env: Env = make_env({"projects": {PROJECT: {"enabled_services": ON}}, "concurrent_writes": [
        # right after `apply` read the dataset for its plan, another writer keeps its logs 400 days
        {"method": "GET", "path": DATASET_PATH, "when": "after", "resource": "dataset", "project": PROJECT,
         "dataset": "claude_logs", "defaultPartitionExpirationMs": str(400 * DAY_MS)}]})
    _short_dataset(env)
    code, out, err = env.run("apply", "--auto-approve")
    assert code == 0, out + err
    assert _dataset_ms(env) == str(400 * DAY_MS)
    assert _patches(env, DATASET_PATH) == []
    assert "default partition expiration of dataset demo-project:claude_logs is already 400 days (changed by " \
           "another writer since the plan): kept, not lowered" in out


def test_dataset_patch_is_if_match_guarded_and_a_412_is_re_read(make_env: Any) -> None:
    env: Env = make_env({"projects": {PROJECT: {"enabled_services": ON}}, "concurrent_writes": [
        # between apply's fresh read and its PATCH
        {"method": "PATCH", "path": DATASET_PATH, "resource": "dataset", "project": PROJECT,
         "dataset": "claude_logs", "defaultPartitionExpirationMs": str(400 * DAY_MS)}]})
    _short_dataset(env)
    code, out, err = env.run("apply", "--auto-approve")
    assert code == 0, out + err
    assert _dataset_ms(env) == str(400 * DAY_MS)
    patches = _patches(env, DATASET_PATH)
    assert len(patches) == 1 and patches[0].json() == {"defaultPartitionExpirationMs": str(30 * DAY_MS)}
    assert patches[0].headers.get("if-match")  # the etag the decision was made on
    code, out, _ = env.run("plan", "--detailed-exitcode")
    assert code == 0, out


def test_table_partition_expiration_race_keeps_the_higher_value(make_env: Any) -> None:
    env: Env = make_env({"projects": {PROJECT: {"enabled_services": ON}}, "concurrent_writes": [
        {"method": "PATCH", "path": TABLE_PATH, "resource": "table", "project": PROJECT, "dataset": "claude_logs",
         "table": "request_response_logging", "expirationMs": str(400 * DAY_MS)}]})
    _short_dataset(env, table=True)
    code, out, err = env.run("apply", "--auto-approve")
    assert code == 0, out + err
    table = env.project["bigquery"]["tables"]["claude_logs/request_response_logging"]
    assert table["timePartitioning"]["expirationMs"] == str(400 * DAY_MS)
    assert _dataset_ms(env) == str(30 * DAY_MS)  # the dataset had no other writer: raised


def test_a_dataset_that_keeps_changing_is_a_lost_race_not_a_success(make_env: Any) -> None:
    env: Env = make_env({"projects": {PROJECT: {"enabled_services": ON}}, "concurrent_writes": [
        # every PATCH finds the dataset changed (still short) since its read: If-Match always fails
        {"method": "PATCH", "path": DATASET_PATH, "times": 100, "resource": "dataset", "project": PROJECT,
         "dataset": "claude_logs", "defaultPartitionExpirationMs": str(10 * DAY_MS)}]})
    _short_dataset(env)
    code, out, err = env.run("apply", "--auto-approve")
    assert code == 1, out + err
    assert ("default partition expiration of dataset demo-project:claude_logs: another writer changed it 4 times "
            "while apply tried to raise it; not raised (lost the race)") in out + err
    assert _dataset_ms(env) == str(10 * DAY_MS)


def test_a_dataset_shortened_right_after_apply_is_reported_as_a_lost_race(make_env: Any) -> None:
    env: Env = make_env({"projects": {PROJECT: {"enabled_services": ON}}, "concurrent_writes": [
        {"method": "PATCH", "path": DATASET_PATH, "when": "after", "resource": "dataset", "project": PROJECT,
         "dataset": "claude_logs", "defaultPartitionExpirationMs": str(5 * DAY_MS)}]})
    _short_dataset(env)
    code, out, err = env.run("apply", "--auto-approve")
    assert code == 1, out + err
    assert "logging-dataset: lost a race: another writer shortened it again right after apply raised it " \
           "(raise default partition expiration of dataset demo-project:claude_logs: now 5 days)" in out + err


# -- Cloud Logging: the _Default bucket (no etag) ----------------------------------------------------
def test_bucket_raised_to_400_days_after_the_plan_is_not_lowered_to_30(make_env: Any) -> None:
    env: Env = make_env({"projects": {PROJECT: {"enabled_services": ON,
                                                "log_buckets": {"_Default": {"retentionDays": 10}}}},
                         "concurrent_writes": [
        # right after the plan read the bucket (whatever RPC it read it with)
        {"path": BUCKET_RPC, "when": "after", "resource": "log_bucket", "project": PROJECT, "bucket": "_Default",
         "retentionDays": 400}]})
    code, out, err = env.run("apply", "--auto-approve")
    assert code == 0, out + err
    assert env.project["logBuckets"]["global/_Default"]["retentionDays"] == 400
    assert "retention is already 400 days (changed by another writer since the plan): kept, not lowered" in out


def test_bucket_lowered_right_after_apply_raised_it_is_a_lost_race(make_env: Any) -> None:
    env: Env = make_env({"projects": {PROJECT: {"enabled_services": ON,
                                                "log_buckets": {"_Default": {"retentionDays": 10}}}},
                         "concurrent_writes": [
        {"path": "/google.logging.v2.ConfigServiceV2/UpdateBucket", "when": "after", "resource": "log_bucket",
         "project": PROJECT, "bucket": "_Default", "retentionDays": 7}]})
    code, out, err = env.run("apply", "--auto-approve")
    assert code == 1, out + err
    assert (f"log-bucket: lost a race: another writer set log bucket projects/{PROJECT}/locations/global/buckets/"
            "_Default to 7 days right after apply raised it to 30") in out + err


# -- IAM: the audit configs ----------------------------------------------------------------------------
CONDITIONAL = {"role": "roles/aiplatform.user", "members": ["group:ml@example.com"],
               "condition": {"title": "until 2030", "expression": "request.time < timestamp('2030-01-01T00:00:00Z')"}}
FOREIGN = {"service": "bigquery.googleapis.com", "auditLogConfigs": [
    {"logType": "DATA_READ", "exemptedMembers": ["serviceAccount:etl@p.iam.gserviceaccount.com"]}]}


def test_a_concurrent_iam_change_mid_apply_loses_nothing(make_env: Any) -> None:
    env: Env = make_env({"projects": {PROJECT: {"enabled_services": ON}}, "concurrent_writes": [
        # between apply's getIamPolicy and its setIamPolicy, another admin grants a conditional role and turns on
        # BigQuery data-access logs with an exemption
        {"method": "POST", "path": f"/v3/projects/{PROJECT}:setIamPolicy", "resource": "iam_policy",
         "project": PROJECT, "bindings": [CONDITIONAL], "auditConfigs": [FOREIGN]}]})
    before = copy.deepcopy(env.project["iamPolicy"])
    code, out, err = env.run("apply", "--auto-approve")
    assert code == 0, out + err
    sets = [r.json() for r in env.emulator.requests if r.path.endswith(":setIamPolicy")]
    assert [s["updateMask"] for s in sets] == ["auditConfigs,etag", "auditConfigs,etag"]  # 409, re-read, merged
    policy = env.project["iamPolicy"]
    assert policy["bindings"] == [*before["bindings"], CONDITIONAL]
    assert policy["auditConfigs"] == [FOREIGN, {"service": "aiplatform.googleapis.com", "auditLogConfigs": [
        {"logType": "DATA_READ"}, {"logType": "DATA_WRITE"}]}]
    assert policy["version"] == 3


# -- Vertex AI: the publisher model config (no etag) -----------------------------------------------------
def test_sampling_rate_raised_after_the_plan_is_not_lowered(make_env: Any) -> None:
    """PublisherModelConfig has no etag: apply reads it again right before writing, so a rate another writer
    raised after the plan's read is kept instead of overwritten with the plan's lower one."""
    from logging_support import MODEL

    destination = {"outputUri": f"bq://{PROJECT}.claude_logs.request_response_logging"}
    low = {"loggingConfig": {"enabled": True, "samplingRate": 0.2, "bigqueryDestination": destination}}
    env: Env = make_env({"projects": {PROJECT: {"enabled_services": ON,
                                                "publisherModelConfigs": {f"us-east5/{MODEL}": low}}},
                         # right after the plan's read was answered, another writer logs every call
                         "concurrent_writes": [{"method": "GET", "path": "*:fetchPublisherModelConfig",
                                                "when": "after", "status": 200, "nth": 1, "only_raise": True,
                                                "resource": "publisher_model_config", "project": PROJECT,
                                                "location": "us-east5", "model": MODEL, "samplingRate": 1.0}]},
                        extra="[logging]\nsampling_rate = 0.5\n")
    from vertex_claude_setup.emulator import bigquery

    bigquery.seed_dataset(env.project, "claude_logs", defaultPartitionExpirationMs=str(30 * DAY_MS))
    code, out, err = env.run("apply", "--auto-approve")
    assert code == 0, out + err
    assert "raise request-response logging sampling rate" in out  # planned from the 0.2 it read
    config = env.project["publisherModelConfigs"][f"us-east5/{MODEL}"]["loggingConfig"]
    assert config["samplingRate"] == 1.0
    assert "already as configured (changed by another writer since the plan): kept" in out
    assert not [r for r in env.emulator.requests if r.path.endswith(":setPublisherModelConfig")]
    assert env.emulator.state.data["concurrent_writes"][0]["fired"] == 1
