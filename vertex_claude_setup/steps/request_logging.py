"""Step: request-response logging per configured (model, region), written with an update mask.

Every pair is read concurrently (a count-tokens probe for its availability class and
``fetchPublisherModelConfig``), and applied concurrently. ``global`` and the multi-regions ``us``/``eu``
cannot be configured (Google supports it for Anthropic models only on regional endpoints): they are
explained at plan time, never planned as a change. A higher existing ``samplingRate`` is
kept (raised to the configured rate, never lowered). While the API step is about to
enable Vertex AI, nothing here calls it: the changes are "known after apply".
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from vertex_claude_setup.availability.classify import Availability, Verdict, classify
from vertex_claude_setup.engine.model import Change, Context, Finding, Step
from vertex_claude_setup.errors import SetupError
from vertex_claude_setup.gcp import bigquery, publisher_config
from vertex_claude_setup.gcp.errors import Where
from vertex_claude_setup.gcp.vertex import API as VERTEX_API
from vertex_claude_setup.gcp.vertex import HttpError

# Classes where the model exists in the region, so its config can (and should) be set.
CONFIGURABLE = {Availability.AVAILABLE, Availability.QUOTA_EXHAUSTED, Availability.DATA_SHARING_REQUIRED}
KNOWN_AFTER_APPLY = "(known after apply)"
UNREAD = "(could not be read)"
OUTPUT_ONLY = {"requestResponseLoggingSchemaVersion"}


def destination(ctx: Context) -> str:
    return f"bq://{ctx.config.project}.{ctx.config.logging.dataset}.{bigquery.LOG_TABLE}"


def is_ours(ctx: Context, uri: str) -> bool:
    """A destination inside the configured dataset (with or without the table name)."""
    base = f"bq://{ctx.config.project}.{ctx.config.logging.dataset}"
    return uri in {base, destination(ctx)}


def pairs(ctx: Context) -> list[tuple[str, str]]:
    return [(m, r) for r in ctx.config.regions for m in ctx.config.models]


def combine(ctx: Context, model: str, region: str, verdict: Verdict, fetched: Future[dict[str, Any]]) -> dict[str, Any]:
    """One pair's state from its probe verdict and its fetch answer."""
    try:  # an unreachable host is already a one-line SetupError from fetch_raw
        config: dict[str, Any] | None = fetched.result()
    except HttpError as exc:
        answer = classify(exc.code, {"error": exc.error}, project=ctx.config.project, model=model, region=region)
        # The fetch's answer wins over a configurable probe, and a definite one over a probe that kept failing.
        if verdict.availability in CONFIGURABLE or answer.availability is not Availability.ERROR:
            verdict = answer
        if verdict.availability in CONFIGURABLE:
            raise exc.explain(Where(VERTEX_API, ctx.config.project, region, model)) from None
        config = None
    out: dict[str, Any] = {"model": model, "region": region, "availability": verdict.availability.value}
    # Whether logging is set here is unknown — never "not there", never "fine" — when Vertex AI kept failing,
    # or still answers SERVICE_DISABLED for an API Service Usage says is ENABLED (not propagated yet).
    note = ctx.google.propagation.note(VERTEX_API) if verdict.availability is Availability.API_DISABLED else None
    if note is not None:
        out.update(state="error", message=f"Vertex AI answers SERVICE_DISABLED there{note[0]}", fix=note[1])
        return out
    if verdict.availability is Availability.ERROR:
        code = f"{verdict.http_status} " if verdict.http_status else ""
        out.update(state="error", message=f"Vertex AI answered {code}{verdict.status} after retries: {verdict.message}",
                   fix="re-run `vertex-claude-setup apply`; if it persists, check https://status.cloud.google.com")
        return out
    if verdict.availability not in CONFIGURABLE:
        out.update(state="unavailable", fix=verdict.fix)
        return out
    out.update(state="ok", loggingConfig=(config or {}).get("loggingConfig") or {})
    return out


def unsupported_state(region: str) -> str | None:
    """``global`` / ``multi-region`` for a location where Google cannot set request-response logging, else None."""
    from vertex_claude_setup import catalog

    if catalog.logs_requests(region):
        return None
    return "global" if region == "global" else "multi-region"


def read_all(ctx: Context, selected: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Every selected pair: all probes and fetches in flight at once, then combined."""
    if "api" in ctx.pending_upstream:
        return [{"model": m, "region": r, "state": unsupported_state(r) or "pending"} for m, r in selected]
    from vertex_claude_setup.availability.probe import probe_pairs

    regional = [(m, r) for m, r in selected if unsupported_state(r) is None]
    with ThreadPoolExecutor(max_workers=max(1, min(128, len(regional) + 1)), thread_name_prefix="pair") as pool:
        fetches = {p: pool.submit(publisher_config.fetch_raw, ctx.google, ctx.config.project, p[1], p[0])
                   for p in regional}
        # The same classified probe as `regions audit`, all pairs at once, while the fetches are in flight.
        verdicts = {(r.model, r.region): r.verdict for r in probe_pairs(ctx.google, ctx.config.project, regional)}
        return [{"model": m, "region": r, "state": unsupported_state(r)} if unsupported_state(r)
                else combine(ctx, m, r, verdicts[(m, r)], fetches[(m, r)]) for m, r in selected]


def sampling_rate(ctx: Context, current: dict[str, Any], *, exact: bool = False) -> float:
    """The rate to write: raised to the configured one, never lowered (like retention) unless ``exact``.

    A lower configured rate would silently log fewer calls than the user already logs; only an explicit
    single-pair command (``logging enable``) sets exactly the configured rate.
    """
    wanted = ctx.config.logging.sampling_rate
    if exact or not current.get("enabled"):
        return wanted
    try:
        existing = float(current.get("samplingRate") or 0)
    except (TypeError, ValueError):
        existing = 0.0
    return max(existing, wanted)


def desired(ctx: Context, current: dict[str, Any], *, exact_rate: bool = False) -> dict[str, Any]:
    """The loggingConfig to write: the current one (fields we do not own kept) with ours set."""
    out = {k: v for k, v in current.items() if k not in OUTPUT_ONLY}
    uri = str((current.get("bigqueryDestination") or {}).get("outputUri") or "")
    if not (current.get("enabled") and uri and not is_ours(ctx, uri)):
        out["bigqueryDestination"] = {"outputUri": destination(ctx)}
    out["enabled"] = True
    out["samplingRate"] = sampling_rate(ctx, current, exact=exact_rate)
    return out


def pair_change(ctx: Context, step: str, pair: dict[str, Any], *, exact_rate: bool = False) -> Change | None:
    model, region = pair["model"], pair["region"]
    if pair["state"] in {"pending", "error"}:  # no loggingConfig in data: apply reads the pair again first
        after = desired(ctx, {})
        unknown, reason = ((KNOWN_AFTER_APPLY, "the Vertex AI API is enabled first") if pair["state"] == "pending"
                           else (UNREAD, "its state could not be read; apply reads it again and sets it"))
        return Change(step, "update", f"enable request-response logging {model} in {region}",
                      before=unknown, after=after, reason=reason, data={"model": model, "region": region})
    if pair["state"] != "ok":
        return None
    current = pair["loggingConfig"]
    after = desired(ctx, current, exact_rate=exact_rate)
    if {k: v for k, v in current.items() if k not in OUTPUT_ONLY} == after:
        return None
    if not current.get("enabled"):
        summary = f"enable request-response logging {model} in {region}"
    elif current.get("samplingRate") != after["samplingRate"]:
        verb = "raise" if float(current.get("samplingRate") or 0) < after["samplingRate"] else "set"
        summary = f"{verb} request-response logging sampling rate {model} in {region}"
    else:
        summary = f"point request-response logging {model} in {region} to {destination(ctx)}"
    before = {k: current[k] for k in ("enabled", "samplingRate", "bigqueryDestination") if k in current}
    return Change(step, "update", summary, before=before or None,
                  after={k: after[k] for k in ("enabled", "samplingRate", "bigqueryDestination")},
                  reason="Anthropic recommends logging Claude activity (at least 30 days, rolling)",
                  data={"model": model, "region": region, "loggingConfig": after})


def pair_error(pair: dict[str, Any]) -> SetupError | None:
    """Why logging cannot be set for a pair that was read (None when it can, or is global).

    Worded to follow the change's summary, which names the pair.
    """
    if pair["state"] == "error":
        return SetupError(pair["message"], pair["fix"])
    if pair["state"] == "unavailable":
        return SetupError(f"{pair['availability']}: request-response logging cannot be set there", pair.get("fix", ""))
    if pair["state"] == "pending":
        return SetupError("still waiting for the Vertex AI API", "re-run `vertex-claude-setup apply`")
    return None


class RequestLoggingStep(Step):
    """Vertex AI v1beta1 ``setPublisherModelConfig`` with ``updateMask: loggingConfig`` per pair."""

    name = "request-logging"
    depends_on = ("api", "logging-dataset")
    concurrent_apply = True
    # fetchPublisherModelConfig, and a count-tokens probe for each pair's availability class
    read_permissions = ("aiplatform.endpoints.get", "aiplatform.endpoints.predict")
    # setPublisherModelConfig. Polling its operation needs no other name: Google's Vertex AI permissions page
    # names the resource's own permission for an operation's GET, and lists no aiplatform.operations.get.
    apply_permissions = ("aiplatform.endpoints.update",)

    def __init__(self, only: list[tuple[str, str]] | None = None, *, exact_rate: bool = False) -> None:
        self.only = only
        self.exact_rate = exact_rate  # `logging enable`: set exactly the configured rate (else raise only)

    def read(self, ctx: Context) -> Any:
        return {"destination": destination(ctx), "pairs": read_all(ctx, self.only or pairs(ctx))}

    def diff(self, ctx: Context, observed: Any) -> list[Change]:
        changes = [pair_change(ctx, self.name, p, exact_rate=self.exact_rate) for p in observed["pairs"]]
        return [c for c in changes if c is not None]

    def check(self, ctx: Context, observed: Any) -> list[Finding]:
        out: list[Finding] = []
        globals_ = [p["model"] for p in observed["pairs"] if p["state"] == "global"]
        if globals_:
            regional = next((r for r in ctx.config.regions if unsupported_state(r) is None), "us-east5")
            out.append(Finding(self.name, "warning",
                               f"request-response logging cannot be configured in global (for {', '.join(globals_)}): "
                               "Google supports it for Anthropic models only on regional endpoints, so calls through "
                               "global are not logged",
                               f"send Claude calls to a regional endpoint (e.g. {regional}) for logged traffic, or "
                               "rely on Data Access audit logs for global calls"))
        multi: dict[str, list[str]] = {}
        for pair in observed["pairs"]:
            if pair["state"] == "multi-region":
                multi.setdefault(pair["region"], []).append(pair["model"])
        for location, models in multi.items():
            fallback = "europe-west1" if location == "eu" else "us-east5"
            regional = next((r for r in ctx.config.regions if unsupported_state(r) is None), fallback)
            out.append(Finding(self.name, "warning",
                               f"request-response logging cannot be configured in the {location} multi-region (for "
                               f"{', '.join(models)}): Google supports it for Anthropic models only on regional "
                               f"endpoints, so calls through {location} are not logged",
                               f"send Claude calls to a regional endpoint (e.g. {regional}) for logged traffic, or "
                               f"rely on Data Access audit logs for {location} calls"))
        for pair in observed["pairs"]:
            if pair["state"] == "error":
                out.append(Finding(self.name, "warning",
                                   f"{pair['model']} in {pair['region']}: request-response logging could not be read: "
                                   f"{pair['message']}", pair["fix"]))
            if pair["state"] == "unavailable":
                out.append(Finding(self.name, "warning",
                                   f"{pair['model']} in {pair['region']}: {pair['availability']}: logging not "
                                   "configured there", pair.get("fix", "")))
            uri = str((pair.get("loggingConfig", {}).get("bigqueryDestination") or {}).get("outputUri") or "")
            if pair["state"] == "ok" and pair["loggingConfig"].get("enabled") and uri and not is_ours(ctx, uri):
                out.append(Finding(self.name, "warning",
                                   f"{pair['model']} in {pair['region']} already logs to {uri}: adopted, its "
                                   "retention is not managed by this tool",
                                   f"check that {uri} keeps rows at least 30 days (`logging verify` checks it)"))
        return out

    def unresolved(self, ctx: Context, observed: Any, planned: Change) -> SetupError | None:
        """A pair planned "known after apply" that the re-read finds failing: a failed change.

        A model that turns out not usable there (another region, access, enablement) is no failure of apply:
        the re-read's check reports it, with its fix, as the plan would have had it known (exit 3).
        """
        key = (planned.data.get("model"), planned.data.get("region"))
        pair = next((p for p in observed["pairs"] if (p["model"], p["region"]) == key), None)
        if pair is None or pair["state"] == "error":  # an unread pair is planned again (its apply re-reads it)
            return None
        if pair["state"] == "unavailable" and Availability(pair["availability"]).not_usable_here:
            return None
        return pair_error(pair)

    def apply(self, ctx: Context, change: Change) -> str:
        model, region = change.data["model"], change.data["region"]
        config = change.data.get("loggingConfig")
        if config is None:  # planned while the API was pending: re-read this pair now
            fresh = read_all(ctx, [(model, region)])[0]
            error = pair_error(fresh)
            if error is not None:
                raise error
            fresh_change = pair_change(ctx, self.name, fresh, exact_rate=self.exact_rate)
            if fresh_change is None:
                return "already as configured"
            config = fresh_change.data["loggingConfig"]
        else:
            # PublisherModelConfig has no etag: read it again right before writing, so a rate or destination
            # another writer set since the plan is kept (only a write within this one round trip is not seen).
            current = publisher_config.fetch(ctx.google, ctx.config.project, region, model)
            fresh_change = pair_change(ctx, self.name, {"model": model, "region": region, "state": "ok",
                                                        "loggingConfig": current.get("loggingConfig") or {}},
                                       exact_rate=self.exact_rate)
            if fresh_change is None:
                return "already as configured (changed by another writer since the plan): kept"
            config = fresh_change.data["loggingConfig"]
        result = publisher_config.set_logging(ctx.google, ctx.config.project, region, model, config)
        logging = result.get("loggingConfig") or {}
        if not logging.get("enabled"):
            raise SetupError(f"request-response logging {model} in {region}: still disabled after the update",
                             "check the operation in the console; re-run apply")
        return f"logging to {(logging.get('bigqueryDestination') or {}).get('outputUri')} " \
               f"(sampling {logging.get('samplingRate')})"
