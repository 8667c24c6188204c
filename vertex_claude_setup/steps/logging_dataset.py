"""Step: the BigQuery dataset that receives request-response logs, and its retention.

Created if missing (in ``[logging] location``, with a default *partition* expiration of ``retention_days``);
an existing dataset is adopted. Partition expirations shorter than the window are raised, never lowered;
table expirations are reported, never set (they would delete the whole log table).

Another writer may change a retention while ``apply`` runs: each raise re-reads the resource right before
writing, decides again on that fresh value (a retention someone raised meanwhile is kept, never lowered),
and writes with ``If-Match`` on the etag it read; a 412 starts over. ``verify`` reads back and names a lost
race (a retention shortened again after the write).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vertex_claude_setup.engine.model import Change, Context, Finding, Step
from vertex_claude_setup.errors import SetupError
from vertex_claude_setup.gcp import bigquery
from vertex_claude_setup.steps import retention

# Re-read → decide → If-Match write rounds before a retention raise gives up on a busy resource.
RACE_ATTEMPTS = 4


class LoggingDatasetStep(Step):
    """BigQuery v2 datasets/tables through google-cloud-bigquery."""

    name = "logging-dataset"
    depends_on = ("project",)
    read_permissions = ("bigquery.datasets.get", "bigquery.tables.get")
    apply_permissions = ("bigquery.datasets.create", "bigquery.datasets.update", "bigquery.tables.update")

    def read(self, ctx: Context) -> Any:
        log = ctx.config.logging
        project = ctx.config.project
        dataset = bigquery.get_dataset(ctx.google, project, log.dataset)
        table = bigquery.get_table(ctx.google, project, log.dataset) if dataset is not None else None
        return {"dataset": _keep(dataset, ("datasetReference", "location", "defaultTableExpirationMs",
                                           "defaultPartitionExpirationMs")),
                "table": _keep(table, ("tableReference", "expirationTime", "timePartitioning"))}

    def diff(self, ctx: Context, observed: Any) -> list[Change]:
        log = ctx.config.logging
        project = ctx.config.project
        name = f"{project}:{log.dataset}"
        target = retention.target_ms(log.retention_days)
        window = f"{log.retention_days}-day partition expiry" if target else "no expiry"
        dataset = observed["dataset"]
        if dataset is None:
            return [Change(self.name, "create", f"create BigQuery dataset {name} ({log.location}, {window})",
                           after={"location": log.location, "defaultPartitionExpirationMs": target},
                           reason="destination of request-response logs; Vertex creates the table in it",
                           data={"kind": "dataset"})]
        changes: list[Change] = []
        current = dataset.get("defaultPartitionExpirationMs")
        if retention.needs_raise(current, log.retention_days):
            changes.append(Change(self.name, "update", f"raise default partition expiration of dataset {name}",
                                  before=retention.days(current),
                                  after=retention.days(target) if target else "never expire",
                                  reason="logs must be kept at least 30 days; never shortened",
                                  data={"kind": "dataset-partition", "expirationMs": target}))
        table = observed["table"]
        partitioning = (table or {}).get("timePartitioning")
        if table and partitioning and retention.needs_raise(partitioning.get("expirationMs"), log.retention_days):
            changes.append(Change(self.name, "update",
                                  f"raise partition expiration of table {name}.{bigquery.LOG_TABLE}",
                                  before=retention.days(partitioning["expirationMs"]),
                                  after=retention.days(target) if target else "never expire",
                                  reason="rows must be kept at least 30 days on a rolling basis",
                                  data={"kind": "table-partition", "expirationMs": target,
                                        "partitioning": partitioning}))
        return changes

    def check(self, ctx: Context, observed: Any) -> list[Finding]:
        log = ctx.config.logging
        out: list[Finding] = []
        dataset = observed["dataset"]
        location = dataset["location"] if dataset else log.location
        if dataset and dataset["location"] != log.location:
            out.append(Finding(self.name, "warning", f"dataset {ctx.config.project}:{log.dataset} is in "
                               f"{dataset['location']}, not {log.location} as configured (a location cannot change)",
                               f"set [logging] location = \"{dataset['location']}\" or use another dataset name"))
        far = [r for r in ctx.config.regions if r != "global" and not retention.location_covers(location, r)]
        if far:
            out.append(Finding(self.name, "warning", f"dataset location {location} is outside {', '.join(far)}: "
                               "Vertex may refuse to log across locations",
                               "use one region's location for all logged regions, or a dataset per geography"))
        if dataset is None:
            return out
        table = observed["table"]
        problems = retention.dataset_problems(dataset, table)
        if table is not None:
            problems += retention.table_problems(table)
        # Partition expirations shorter than 30 days are planned as changes above, not findings.
        out += [Finding(self.name, p.severity, f"{'non-compliant' if p.severity == 'error' else 'risk'}: {p.message}",
                        p.fix) for p in problems if not p.raisable]
        return out

    def apply(self, ctx: Context, change: Change) -> str:
        log = ctx.config.logging
        project = ctx.config.project
        kind = change.data["kind"]
        if kind == "dataset":
            from vertex_claude_setup.errors import GoogleApiError

            try:
                created = bigquery.create_dataset(ctx.google, project, log.dataset, log.location,
                                                  retention.target_ms(log.retention_days),
                                                  "Claude request-response logs (vertex-claude-setup)")
            except GoogleApiError as exc:
                if exc.http_code != 409:
                    raise
                return f"dataset {project}:{log.dataset} already exists: adopted"
            return f"created {project}:{log.dataset} in {created.get('location')}"
        target = change.data["expirationMs"]
        if kind == "dataset-partition":
            def dataset_now() -> tuple[Any, str | None]:
                found = bigquery.get_dataset(ctx.google, project, log.dataset)
                if found is None:
                    raise SetupError(f"dataset {project}:{log.dataset} was deleted while apply ran",
                                     "re-run `vertex-claude-setup apply` to create it again")
                return found.get("defaultPartitionExpirationMs"), found.get("etag")

            return _raise_guarded(
                ctx, f"default partition expiration of dataset {project}:{log.dataset}", dataset_now,
                lambda etag: bigquery.set_default_partition_expiration(ctx.google, project, log.dataset, target,
                                                                       etag=etag),
                done="default partition expiration raised")
        if kind == "table-partition":
            table_name = f"{project}:{log.dataset}.{bigquery.LOG_TABLE}"
            partitioning = dict(change.data["partitioning"])

            def table_now() -> tuple[Any, str | None]:
                found = bigquery.get_table(ctx.google, project, log.dataset)
                if found is None or not found.get("timePartitioning"):
                    raise SetupError(f"table {table_name} was deleted or replaced while apply ran",
                                     "re-run `vertex-claude-setup apply`")
                partitioning.update(found["timePartitioning"])  # the fresh type and field are kept
                return found["timePartitioning"].get("expirationMs"), found.get("etag")

            return _raise_guarded(
                ctx, f"partition expiration of table {table_name}", table_now,
                lambda etag: bigquery.set_partition_expiration(ctx.google, project, log.dataset, bigquery.LOG_TABLE,
                                                               partitioning, target, etag=etag),
                done="table partition expiration raised")
        raise SetupError(f"{self.name}: unknown change kind {kind}")

    def verify(self, ctx: Context) -> None:
        """Read back: a retention short again right after apply raised it is a race lost to another writer."""
        left = self.diff(ctx, self.read(ctx))
        short = next((c for c in left if c.data.get("kind") in {"dataset-partition", "table-partition"}), None)
        if short is not None:
            raise SetupError(f"{self.name}: lost a race: another writer shortened it again right after apply "
                             f"raised it ({short.summary}: now {short.before})",
                             "re-run `vertex-claude-setup apply`, and find who else sets this retention (the "
                             "dataset's Admin Activity audit log names them)")
        if left:
            raise SetupError(f"{self.name}: still differs after apply: {left[0].summary}",
                             "re-run `vertex-claude-setup apply`; if it persists, check the resource by hand")


def _raise_guarded(ctx: Context, what: str, read_now: Callable[[], tuple[Any, str | None]],
                   write: Callable[[str | None], Any], *, done: str) -> str:
    """Raise a retention to the configured window against its fresh value, ``If-Match``-guarded.

    Each round re-reads (value and etag) right before writing; a value another writer raised meanwhile (or
    set to never expire) is kept. A 412 (changed between that read and the write) starts a new round.
    """
    days = ctx.config.logging.retention_days
    for _round in range(RACE_ATTEMPTS):
        current, etag = read_now()
        if not retention.needs_raise(current, days):
            now = "never expires" if current in (None, "", 0, "0") else retention.days(current)
            return f"{what} is already {now} (changed by another writer since the plan): kept, not lowered"
        try:
            write(etag)
        except bigquery.StaleEtag:
            continue
        return done
    raise SetupError(f"{what}: another writer changed it {RACE_ATTEMPTS} times while apply tried to raise it; "
                     "not raised (lost the race)",
                     "re-run `vertex-claude-setup apply` when the other writer is done")


def _keep(resource: dict[str, Any] | None, fields: tuple[str, ...]) -> dict[str, Any] | None:
    """Only the fields the step reasons about: the fingerprint ignores unrelated edits."""
    if resource is None:
        return None
    return {k: resource[k] for k in fields if resource.get(k) is not None}
