"""What an export writes, decided from one ``plan``: what exists (to import) and the values to keep.

Every value follows ``apply``: a setting is raised to the config and never lowered, so a stronger value in
place (a longer retention, a higher sampling rate, extra audit log types, exemptions) is exported as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vertex_claude_setup.engine.model import Context, Plan
from vertex_claude_setup.errors import SetupError
from vertex_claude_setup.steps import audit_logs, log_bucket, request_logging, retention


@dataclass(frozen=True)
class Dataset:
    """The log dataset: ``partition_ms`` None means partitions never expire."""

    exists: bool
    location: str
    partition_ms: int | None
    raised_from_ms: int | None = None  # the shorter expiration in place that the export raises
    notes: tuple[str, ...] = ()  # table settings Terraform does not manage here, with their fixes


@dataclass(frozen=True)
class Pair:
    """One configured (model, region): ``state`` is ok, pending (API off), unavailable or global."""

    model: str
    region: str
    state: str
    availability: str = ""
    sampling_rate: float = 0.0
    destination: str = ""
    enabled: bool = False  # logging already on (the command is then a no-op unless the rate is raised)
    current_rate: float | None = None
    fix: str = ""


@dataclass(frozen=True)
class AuditLogs:
    """Data Access audit logs of aiplatform.googleapis.com: ``log_types`` maps each type to its exemptions."""

    exists: bool
    log_types: dict[str, list[str]]
    added: tuple[str, ...]  # asked for by the config and missing: the export adds them
    kept: tuple[str, ...]  # in place but not asked for (e.g. ADMIN_READ): kept as they are
    all_services: dict[str, list[str]]


@dataclass(frozen=True)
class Bucket:
    """The ``_Default`` log bucket: ``target_days`` is what the config asks for (3650 for keep-forever)."""

    retention_days: int
    current_days: int
    target_days: int
    locked: bool


@dataclass
class ExportState:
    """Everything the Terraform files are written from."""

    project: str
    api_enabled: bool
    dataset: Dataset | None = None
    pairs: list[Pair] = field(default_factory=list)
    audit: AuditLogs | None = None
    bucket: Bucket | None = None
    matrix: list[tuple[str, str, str]] | None = None  # (model, region, class); None: not measurable yet
    problems: int = 0  # plan checks of severity error (shown by `plan`)


def read(ctx: Context) -> ExportState:
    """Make the plan (reads only) and decide every exported value from it."""
    from vertex_claude_setup.steps import workflow

    return from_plan(ctx, workflow.make_plan(ctx))


def from_plan(ctx: Context, plan: Plan) -> ExportState:
    if plan.errors:
        first = plan.errors[0]
        raise SetupError(f"cannot export project {plan.project}: {first.step}: {first.error}",
                         first.hint or "fix the problem above (`vertex-claude-setup plan` shows it) and export again")
    observed = {step.step: step.observed for step in plan.steps}
    out = ExportState(project=ctx.config.project, api_enabled=observed["api"]["state"] == "ENABLED",
                      problems=sum(f.severity == "error" for f in plan.findings))
    availability = observed["availability"]
    if not availability.get("deferred"):
        out.matrix = sorted((p["model"], p["region"], p["class"]) for p in availability["pairs"])
    if "logging-dataset" in observed:
        changes = next(s.changes for s in plan.steps if s.step == "logging-dataset")
        out.dataset = _dataset(ctx, observed["logging-dataset"], [c.data for c in changes])
    if "request-logging" in observed:
        out.pairs = sorted((_pair(ctx, p) for p in observed["request-logging"]["pairs"]),
                           key=lambda p: (p.model, p.region))
    if "audit-logs" in observed:
        out.audit = _audit(ctx, observed["audit-logs"])
    if "log-bucket" in observed:
        out.bucket = _bucket(ctx, observed["log-bucket"])
    return out


def _ms(value: Any) -> int | None:
    return None if value in (None, "", 0, "0") else int(value)


def _dataset(ctx: Context, observed: dict[str, Any], changes: list[dict[str, Any]]) -> Dataset:
    log = ctx.config.logging
    target = retention.target_ms(log.retention_days)
    dataset = observed["dataset"]
    if dataset is None:
        return Dataset(exists=False, location=log.location, partition_ms=target)
    current = _ms(dataset.get("defaultPartitionExpirationMs"))
    raise_it = retention.needs_raise(current, log.retention_days)
    location = str(dataset["location"])
    far = [r for r in ctx.config.regions if r != "global" and not retention.location_covers(location, r)]
    table = observed["table"]
    problems = retention.dataset_problems(dataset, table) + (retention.table_problems(table) if table else [])
    # Raisable problems: the dataset's is raised here; the table's (Vertex AI creates it) by `apply`, below.
    notes = [f"{p.message}; fix: {p.fix}" for p in problems if not p.raisable]
    if far:
        notes.append(f"dataset location {location} is outside {', '.join(far)}: Vertex AI may refuse to "
                     "log across locations; fix: one region's location for all logged regions, or a dataset per "
                     "geography")
    for change in changes:
        if change.get("kind") == "table-partition":
            ref = table["tableReference"]
            notes.append(f"log table {ref['projectId']}:{ref['datasetId']}.{ref['tableId']} partitions expire after "
                         f"{retention.days(table['timePartitioning']['expirationMs'])}, shorter than the dataset's: "
                         "Terraform does not manage the table Vertex AI creates; fix: `vertex-claude-setup apply` "
                         "raises it")
    return Dataset(exists=True, location=location, partition_ms=target if raise_it else current,
                   raised_from_ms=current if raise_it else None, notes=tuple(notes))


def _pair(ctx: Context, pair: dict[str, Any]) -> Pair:
    model, region, state = pair["model"], pair["region"], pair["state"]
    if state in ("global", "unavailable"):
        return Pair(model, region, state, availability=pair.get("availability", ""), fix=pair.get("fix", ""))
    current = pair.get("loggingConfig") or {}
    wanted = request_logging.desired(ctx, current)
    rate = current.get("samplingRate")
    return Pair(model, region, state, availability=pair.get("availability", ""),
                sampling_rate=float(wanted["samplingRate"]),
                destination=str(wanted["bigqueryDestination"]["outputUri"]), enabled=bool(current.get("enabled")),
                current_rate=None if rate is None else float(rate))


def _audit(ctx: Context, observed: dict[str, dict[str, list[str]]]) -> AuditLogs:
    own = observed.get(audit_logs.SERVICE)
    added = audit_logs.missing(ctx, observed)
    log_types = {kind: sorted(set(members)) for kind, members in (own or {}).items()}
    for kind in added:
        log_types.setdefault(kind, [])
    all_services = {kind: sorted(set(members))
                    for kind, members in observed.get("allServices", {}).items()}
    kept = tuple(sorted(kind for kind in log_types if kind not in audit_logs.wanted(ctx)))
    return AuditLogs(exists=own is not None, log_types=dict(sorted(log_types.items())), added=tuple(sorted(added)),
                     kept=kept, all_services=dict(sorted(all_services.items())))


def _bucket(ctx: Context, observed: dict[str, Any]) -> Bucket:
    current = int(observed["retentionDays"])
    locked = bool(observed["locked"])
    target = log_bucket.target_days(ctx)
    return Bucket(retention_days=current if locked else max(current, target), current_days=current,
                  target_days=target, locked=locked)
