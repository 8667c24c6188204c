"""``logging verify``: read-only compliance checks, each PASS/FAIL/WARN with a reason and the fix.

Reads the same state the logging steps read (concurrently) and never writes anything.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

from vertex_claude_setup.engine.model import Context
from vertex_claude_setup.errors import SetupError
from vertex_claude_setup.steps import retention

Status = Literal["PASS", "FAIL", "WARN"]
NOT_USABLE = {"NOT_SERVABLE_IN_REGION", "NOT_FOUND_OR_NO_ACCESS", "NOT_ENABLED", "ORG_POLICY_BLOCKED"}


@dataclass(frozen=True)
class Check:
    """One compliance check: ``id`` is stable (for CI), ``name`` is for humans."""

    id: str
    name: str
    status: Status
    reason: str
    fix: str = ""

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "status": self.status, "reason": self.reason, "fix": self.fix}


@dataclass
class Report:
    project: str
    checks: list[Check]
    errors: list[str]

    def counts(self) -> dict[str, int]:
        return {s: sum(c.status == s for c in self.checks) for s in ("PASS", "FAIL", "WARN")}

    @property
    def exit_code(self) -> int:
        """0 compliant (warnings allowed) · 3 non-compliant · 1 something could not be read."""
        if self.errors:
            return 1
        return 3 if any(c.status == "FAIL" for c in self.checks) else 0


APPLY = "run `vertex-claude-setup apply`"


def verify(ctx: Context) -> Report:
    """Run every read concurrently and turn the observations into checks."""
    from vertex_claude_setup.steps.audit_logs import AuditLogsStep
    from vertex_claude_setup.steps.log_bucket import LogBucketStep
    from vertex_claude_setup.steps.logging_dataset import LoggingDatasetStep
    from vertex_claude_setup.steps.request_logging import RequestLoggingStep

    steps = {"dataset": LoggingDatasetStep(), "pairs": RequestLoggingStep(), "audit": AuditLogsStep(),
             "bucket": LogBucketStep()}
    if not ctx.config.logging.audit_logs:
        steps.pop("audit")
    errors: list[str] = []
    observed: dict[str, Any] = {}
    with ThreadPoolExecutor(max_workers=len(steps)) as pool:
        futures = {key: pool.submit(step.read, ctx) for key, step in steps.items()}
        for key, future in futures.items():
            try:
                observed[key] = future.result()
            except SetupError as exc:
                errors.append(exc.one_line())
    checks: list[Check] = []
    if "pairs" in observed:
        checks += pair_checks(ctx, observed["pairs"])
        checks += destination_checks(ctx, observed["pairs"], observed.get("dataset"))
    if "audit" in observed:
        checks += audit_checks(ctx, observed["audit"])
    if "bucket" in observed:
        checks += bucket_checks(ctx, observed["bucket"])
    for error in errors:
        checks.append(Check("read-error", "read the project state", "FAIL", error,
                            "fix the access problem above and run verify again"))
    return Report(ctx.config.project, checks, errors)


def pair_checks(ctx: Context, observed: dict[str, Any]) -> list[Check]:
    rate = ctx.config.logging.sampling_rate
    out: list[Check] = []
    for pair in observed["pairs"]:
        model, region = pair["model"], pair["region"]
        cid, name = f"request-logging/{model}/{region}", f"request-response logging {model} in {region}"
        if pair["state"] == "global":
            out.append(Check(cid, name, "WARN", "global endpoint: Google supports request-response logging for "
                             "Anthropic models only on regional endpoints", "log traffic through a regional endpoint"))
            continue
        if pair["state"] == "multi-region":
            out.append(Check(cid, name, "WARN", f"{region} multi-region endpoint: Google supports request-response "
                             "logging for Anthropic models only on regional endpoints",
                             "log traffic through a regional endpoint"))
            continue
        if pair["state"] in {"unavailable", "error"}:
            usable = pair["availability"] in NOT_USABLE
            out.append(Check(cid, name, "WARN" if usable else "FAIL",
                             f"{pair['availability']}: " + ("the model is not usable there, nothing to log" if usable
                                                            else "the logging config cannot be read"),
                             pair.get("fix", "")))
            continue
        config = pair["loggingConfig"]
        uri = str((config.get("bigqueryDestination") or {}).get("outputUri") or "")
        if not config.get("enabled"):
            out.append(Check(cid, name, "FAIL", "logging is disabled", f"{APPLY}, or `vertex-claude-setup logging "
                             f"enable --model {model} --region {region}`"))
            continue
        out.append(Check(cid, name, "PASS", f"enabled, writing to {uri}"))
        current = float(config.get("samplingRate", 0) or 0)
        out.append(Check(f"sampling-rate/{model}/{region}", f"sampling rate {model} in {region}",
                         "PASS" if current >= rate else "WARN",
                         f"samplingRate {current:g} (configured {rate:g}" +
                         ("; a higher rate is kept, never lowered)" if current > rate else ")") +
                         ("" if current >= rate else f": only {current:.0%} of calls are logged"),
                         "" if current >= rate else APPLY))
    return out


def destination_checks(ctx: Context, pairs: dict[str, Any], dataset_observed: Any) -> list[Check]:
    """Each destination dataset in use (ours and adopted ones): it exists, and nothing expires rows < 30 days."""
    from vertex_claude_setup.gcp import bigquery
    from vertex_claude_setup.gcp.logrows import Table

    uris = {str((p.get("loggingConfig", {}).get("bigqueryDestination") or {}).get("outputUri") or "")
            for p in pairs["pairs"] if p["state"] == "ok" and p["loggingConfig"].get("enabled")}
    ours = (ctx.config.project, ctx.config.logging.dataset, bigquery.LOG_TABLE)
    targets = {ours}
    for uri in uris:
        table_ref = Table.from_uri(uri)
        if table_ref is not None:
            targets.add((table_ref.project, table_ref.dataset, table_ref.table))
    out: list[Check] = []
    for project, dataset_id, table_id in sorted(targets):
        name = f"{project}:{dataset_id}"
        if (project, dataset_id, table_id) == ours and dataset_observed is not None:
            dataset, table = dataset_observed["dataset"], dataset_observed["table"]
        else:
            dataset = bigquery.get_dataset(ctx.google, project, dataset_id)
            table = bigquery.get_table(ctx.google, project, dataset_id, table_id) if dataset else None
        if dataset is None:
            out.append(Check(f"destination/{name}", f"destination dataset {name}", "FAIL", "dataset does not exist: "
                             "Vertex cannot write the logs", f"{APPLY} (or `bq mk --location "
                             f"{ctx.config.logging.location} {name}`)"))
            continue
        out.append(Check(f"destination/{name}", f"destination dataset {name}", "PASS",
                         f"exists in {dataset['location']}"))
        far = [r for r in ctx.config.regions if r != "global"
               and not retention.location_covers(str(dataset["location"]), r)]
        if far:
            out.append(Check(f"location/{name}", f"destination location {name}", "WARN",
                             f"{dataset['location']} is outside {', '.join(far)}: Vertex may refuse to log across "
                             "locations", "use a dataset in the same region or multi-region as the logged regions"))
        if table is None:
            out.append(Check(f"log-table/{name}.{table_id}", f"log table {name}.{table_id}", "WARN",
                             "not created yet: Vertex creates it at the first logged request",
                             "send one Claude request through a logged region, then verify again"))
        else:
            out.append(Check(f"log-table/{name}.{table_id}", f"log table {name}.{table_id}", "PASS", "exists"))
        out.append(retention_check(ctx, name, dataset, table))
    return out


def retention_check(ctx: Context, name: str, dataset: dict[str, Any], table: dict[str, Any] | None) -> Check:
    problems = retention.dataset_problems(dataset, table)
    if table is not None:
        problems += retention.table_problems(table)
    cid, title = f"retention/{name}", f"log retention in {name} ≥ 30 days"
    if problems:
        status: Status = "FAIL" if any(p.severity == "error" for p in problems) else "WARN"
        return Check(cid, title, status, "; ".join(p.message for p in problems),
                     "; ".join(dict.fromkeys(p.fix for p in problems)))
    partition_ms = ((table or {}).get("timePartitioning") or {}).get("expirationMs") or (
        dataset.get("defaultPartitionExpirationMs"))
    if partition_ms:
        return Check(cid, title, "PASS", f"partitions expire after {retention.days(partition_ms)} (rolling)")
    return Check(cid, title, "PASS", "no expiration: rows are kept until deleted")


def audit_checks(ctx: Context, observed: dict[str, dict[str, list[str]]]) -> list[Check]:
    from vertex_claude_setup.steps.audit_logs import SERVICE, effective, missing, wanted

    absent = missing(ctx, observed)
    out = [Check(f"audit-logs/{SERVICE}", f"Data Access audit logs for {SERVICE}", "FAIL" if absent else "PASS",
                 f"missing {', '.join(absent)}" if absent else f"{', '.join(wanted(ctx))} on",
                 APPLY if absent else "")]
    exempted = sorted({m for t, members in effective(observed).items() if t in wanted(ctx) for m in members})
    if exempted:
        out.append(Check(f"audit-exemptions/{SERVICE}", f"audit log exemptions for {SERVICE}", "WARN",
                         f"not audited: {', '.join(exempted)}",
                         "remove the exemptions in IAM & Admin > Audit Logs if unintended"))
    return out


def bucket_checks(ctx: Context, bucket: dict[str, Any]) -> list[Check]:
    from vertex_claude_setup.steps.log_bucket import locked_fix, target_days

    target = target_days(ctx)
    days = int(bucket["retentionDays"])
    name = f"Cloud Logging bucket _Default retention ≥ {target} days"
    if days >= target:
        return [Check("bucket-retention/_Default", name, "PASS", f"{days} days" + (" (locked)" if bucket["locked"]
                                                                                  else ""))]
    if bucket["locked"]:
        return [Check("bucket-retention/_Default", name, "FAIL", f"{days} days and locked: cannot be raised",
                      locked_fix(ctx.config.project, target))]
    return [Check("bucket-retention/_Default", name, "FAIL", f"{days} days", APPLY)]
