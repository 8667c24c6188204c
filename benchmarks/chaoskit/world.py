"""A seeded project the way users have them: what the tool must set up, and what it must never touch.

Every world has foreign IAM bindings (one conditional, so the policy is version 3), and some have foreign
audit configs (with exemptions, one on the tool's own service), publisher-model-config fields the tool does
not own, retentions and sampling rates *higher* than the config asks, and a log dataset/table that already
exists. The invariants compare the emulator's state before and after against these seeds.
"""

from __future__ import annotations

import copy
import json
import random
from dataclasses import dataclass, field
from typing import Any

DAY_MS = 86_400_000
DATASET = "claude_logs"
TABLE = "request_response_logging"
MODEL_POOL = ["claude-sonnet-4-5@20250929", "claude-opus-4-6", "claude-haiku-4-5@20251001", "claude-sonnet-4-6",
              "claude-opus-4-5@20251101"]
REGION_POOL = ["us-east5", "europe-west1", "asia-southeast1"]
FOREIGN_DESTINATION = "bq://claude-audit-hub.central_logs"  # another team's dataset: adopted, never replaced
OTHER_SERVICES = ["bigquery.googleapis.com", "storage.googleapis.com", "logging.googleapis.com"]


@dataclass
class Needs:
    """What a schedule's fault kinds need from the world (a writer needs something to raise)."""

    api_disabled: bool = False
    dataset_below_target: bool = False
    table_below_target: bool = False
    bucket_below_target: bool = False
    pair_below_rate: bool = False


@dataclass
class World:
    """One seeded project and the config the tool is given."""

    project: str
    models: list[str]
    regions: list[str]
    retention_days: int
    sampling: float
    admin_read: bool
    smoke: bool
    scenario: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    @property
    def target_ms(self) -> int:
        return self.retention_days * DAY_MS

    @property
    def destination(self) -> str:
        return f"bq://{self.project}.{DATASET}.{TABLE}"

    def pairs(self) -> list[tuple[str, str]]:
        """The (model, region) pairs whose request-response logging the tool must turn on (regional only)."""
        return [(m, r) for r in self.regions if r != "global" for m in self.models]

    def config_text(self) -> str:
        return "\n".join([
            f'project = "{self.project}"',
            f"regions = {json.dumps(self.regions)}",
            f"models = {json.dumps(self.models)}",
            "",
            "[logging]",
            "enabled = true",
            f'dataset = "{DATASET}"',
            'location = "US"',
            f"retention_days = {self.retention_days}",
            f"sampling_rate = {self.sampling}",
            "audit_logs = true",
            f"admin_read = {'true' if self.admin_read else 'false'}",
            "",
            "[smoke_test]",
            f"enabled = {'true' if self.smoke else 'false'}",
            "",
        ])

    def describe(self) -> str:
        return (f"project={self.project} models={','.join(self.models)} regions={','.join(self.regions)} "
                f"retention_days={self.retention_days} sampling={self.sampling} admin_read={self.admin_read} "
                f"smoke={self.smoke}; seeded: {'; '.join(self.notes)}")


def make_world(rng: random.Random, index: int, needs: Needs) -> World:
    """A random world for schedule ``index`` that satisfies ``needs``."""
    project = f"chaos-{index:04d}"
    regions = rng.sample(REGION_POOL, rng.choice([1, 1, 2]))
    if rng.random() < 0.3:
        regions.append("global")
    world = World(project=project, models=rng.sample(MODEL_POOL, rng.choice([1, 2])), regions=regions,
                  retention_days=rng.choice([30, 60, 90]), sampling=rng.choice([0.25, 0.5, 1.0]),
                  admin_read=rng.random() < 0.3, smoke=rng.random() < 0.4, scenario={})
    api_on = not needs.api_disabled and rng.random() < 0.4
    world.notes.append("API on" if api_on else "API off")
    spec: dict[str, Any] = {
        "enabled_services": [*rng.sample(OTHER_SERVICES, rng.randint(0, 3)),
                             *(["aiplatform.googleapis.com"] if api_on else [])],
        "iam_policy": _iam_policy(rng, project, world),
        "log_buckets": {"_Default": _bucket(rng, world, needs)},
        "publisherModelConfigs": _publisher_configs(rng, world, needs),
    }
    bigquery = _bigquery(rng, world, needs)
    if bigquery:
        spec["bigquery"] = bigquery
    world.scenario = {"availability": {"default": "AVAILABLE"}, "projects": {project: spec},
                      "seed": rng.randrange(1 << 30)}
    return world


def _iam_policy(rng: random.Random, project: str, world: World) -> dict[str, Any]:
    bindings: list[dict[str, Any]] = [
        {"role": "roles/owner", "members": ["user:owner@example.com"]},
        {"role": "roles/viewer", "members": ["group:analysts@example.com",
                                             f"serviceAccount:ci@{project}.iam.gserviceaccount.com"]},
        {"role": "roles/storage.objectViewer", "members": ["user:contractor@example.com"],
         "condition": {"title": "until 2030", "description": "temporary access",
                       "expression": 'request.time < timestamp("2030-01-01T00:00:00Z")'}},
    ]
    if rng.random() < 0.5:
        bindings.append({"role": "roles/aiplatform.user", "members": ["group:ml@example.com"],
                         "condition": {"title": "us-east5 only",
                                       "expression": f'resource.name.startsWith("projects/{project}/locations/'
                                                     'us-east5")'}})
    audit: list[dict[str, Any]] = []
    if rng.random() < 0.6:
        audit.append({"service": "storage.googleapis.com", "auditLogConfigs": [
            {"logType": "DATA_READ"},
            {"logType": "DATA_WRITE", "exemptedMembers": [f"serviceAccount:etl@{project}.iam.gserviceaccount.com"]}]})
    if rng.random() < 0.3:
        audit.append({"service": "allServices", "auditLogConfigs": [{"logType": "ADMIN_READ"}]})
    if rng.random() < 0.4:
        audit.append({"service": "aiplatform.googleapis.com", "auditLogConfigs": [
            {"logType": "DATA_READ", "exemptedMembers": ["user:load-test-bot@example.com"]}]})
    world.notes.append(f"{len(bindings)} bindings, audit configs for "
                       f"{','.join(a['service'] for a in audit) or 'nothing'}")
    policy: dict[str, Any] = {"version": 3, "etag": "BwYAAAAAAAE=", "bindings": bindings}
    if audit:
        policy["auditConfigs"] = audit
    return policy


def _bucket(rng: random.Random, world: World, needs: Needs) -> dict[str, Any]:
    days = rng.choice([10, 20] if needs.bucket_below_target else [10, 30, world.retention_days, 400, 400])
    bucket: dict[str, Any] = {"retentionDays": days, "description": "Default bucket (edited by the ops team)"}
    if rng.random() < 0.3:
        bucket["analyticsEnabled"] = True
    if days >= 400 and rng.random() < 0.3:
        bucket["locked"] = True
    world.notes.append(f"_Default {days} days{' locked' if bucket.get('locked') else ''}")
    return bucket


def _publisher_configs(rng: random.Random, world: World, needs: Needs) -> dict[str, Any]:
    out: dict[str, Any] = {}
    kinds = ["none", "none", "foreign-fields", "ours-low", "ours-high", "foreign-destination", "disabled-extra"]
    pairs = world.pairs()
    forced = rng.randrange(len(pairs)) if needs.pair_below_rate and pairs else -1
    for i, (model, region) in enumerate(pairs):
        kind = "ours-low" if i == forced else rng.choice(kinds)
        if kind == "ours-high" and world.sampling >= 1.0:
            kind = "ours-low"
        if kind == "ours-low" and world.sampling <= 0.25 and i != forced:
            kind = "foreign-fields"
        config = _pair_config(kind, world)
        if config is not None:
            out[f"{region}/{model}"] = config
            world.notes.append(f"{model}@{region}: {kind}")
    return out


def _pair_config(kind: str, world: World) -> dict[str, Any] | None:
    foreign = {"dataSharingEnabledProvider": "ANTHROPIC", "claudeFeatureConfig": {"advancedAiEnabled": True}}
    if kind == "foreign-fields":
        return {**foreign, "inferenceEventLoggingConfig": {"state": "ENABLED"}}
    if kind in {"ours-low", "ours-high"}:
        rate = 1.0 if kind == "ours-high" else round(world.sampling / 2.5, 3)
        return {**foreign, "loggingConfig": {"enabled": True, "samplingRate": rate, "enableOtelLogging": True,
                                             "errorSamplingRate": 0.3, "requestResponseLoggingSchemaVersion": "v1",
                                             "bigqueryDestination": {"outputUri": world.destination}}}
    if kind == "foreign-destination":
        return {"loggingConfig": {"enabled": True, "samplingRate": 0.1, "errorSamplingRate": 0.05,
                                  "bigqueryDestination": {"outputUri": FOREIGN_DESTINATION}}}
    if kind == "disabled-extra":
        return {"loggingConfig": {"enabled": False, "errorSamplingRate": 0.2, "enableOtelLogging": True}}
    return None


def _expiry(rng: random.Random, world: World, below: bool) -> int | None:
    """A partition expiration in ms: forever (None), below the target, or above it."""
    low = [10 * DAY_MS, world.target_ms - 5 * DAY_MS]
    return int(rng.choice(low if below else [None, *low, 400 * DAY_MS, 400 * DAY_MS]) or 0) or None


def _bigquery(rng: random.Random, world: World, needs: Needs) -> dict[str, Any]:
    want_dataset = needs.dataset_below_target or needs.table_below_target or rng.random() < 0.5
    if not want_dataset:
        return {}
    pid = world.project
    dataset: dict[str, Any] = {
        "kind": "bigquery#dataset", "id": f"{pid}:{DATASET}", "location": "US", "etag": "e1",
        "selfLink": f"https://bigquery.googleapis.com/bigquery/v2/projects/{pid}/datasets/{DATASET}",
        "datasetReference": {"projectId": pid, "datasetId": DATASET},
        "creationTime": "1767225600000", "lastModifiedTime": "1767225600000",
        "description": "Claude logs (owned by the data team)", "labels": {"team": "data", "cost-center": "42"},
        "access": [{"role": "OWNER", "specialGroup": "projectOwners"},
                   {"role": "READER", "groupByEmail": "auditors@example.com"}],
    }
    expiry = _expiry(rng, world, needs.dataset_below_target)
    if expiry:
        dataset["defaultPartitionExpirationMs"] = str(expiry)
    out: dict[str, Any] = {"datasets": {DATASET: dataset}, "tables": {}, "rows": {}}
    note = f"dataset expiry {expiry // DAY_MS if expiry else 'never'}"
    if needs.table_below_target or rng.random() < 0.5:
        table_expiry = _expiry(rng, world, needs.table_below_target)
        partitioning: dict[str, Any] = {"type": "DAY", "field": "logging_time"}
        if table_expiry:
            partitioning["expirationMs"] = str(table_expiry)
        out["tables"][f"{DATASET}/{TABLE}"] = {
            "kind": "bigquery#table", "id": f"{pid}:{DATASET}.{TABLE}", "etag": "t1", "type": "TABLE",
            "selfLink": f"https://bigquery.googleapis.com/bigquery/v2/projects/{pid}/datasets/{DATASET}/tables/{TABLE}",
            "tableReference": {"projectId": pid, "datasetId": DATASET, "tableId": TABLE}, "location": "US",
            "creationTime": "1767225600000", "lastModifiedTime": "1767225600000",
            "labels": {"pii": "yes"}, "timePartitioning": partitioning,
            "schema": {"fields": [{"name": "logging_time", "type": "TIMESTAMP", "mode": "NULLABLE"},
                                  {"name": "full_request", "type": "JSON", "mode": "NULLABLE"},
                                  {"name": "full_response", "type": "JSON", "mode": "NULLABLE"}]},
        }
        note += f", table expiry {table_expiry // DAY_MS if table_expiry else 'never'}"
    world.notes.append(note)
    return copy.deepcopy(out)
