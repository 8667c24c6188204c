"""The smoke test: the seed's "Hey Claude!" request through the real ``anthropic`` SDK, measured and classified.

Exactly the documented request — ``AnthropicVertex(...).messages.create(model=M, max_tokens=N,
messages=[{"role": "user", "content": prompt}])`` with ``anthropic_version`` ``vertex-2023-10-16``
and the model in the URL — so a pass here means the user's own code will work. Failures are
classified with the availability classes (one explanation everywhere) and carry the fix.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vertex_claude_setup.availability.classify import Availability, Verdict, classify
from vertex_claude_setup.errors import SetupError
from vertex_claude_setup.gcp.session import VERTEX_ANTHROPIC_VERSION
from vertex_claude_setup.gcp.vertex import API as VERTEX_API

if TYPE_CHECKING:
    from vertex_claude_setup.config import Config
    from vertex_claude_setup.gcp.logrows import LogCheck, Table
    from vertex_claude_setup.gcp.session import GoogleApis


@dataclass
class SmokeResult:
    """One (model, region) request: the reply and its measurements, or the classified failure."""

    model: str
    region: str
    streamed: bool = False
    reply: str = ""
    latency_s: float = 0.0
    ttft_s: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    request_id: str = ""
    message_id: str = ""
    stop_reason: str = ""
    verdict: Verdict | None = None
    started: float = 0.0  # wall clock (epoch seconds) when the request was sent
    logged: LogCheck | None = field(default=None)

    @property
    def ok(self) -> bool:
        return self.verdict is None and (self.logged is None or self.logged.ok)

    @property
    def answered(self) -> bool:
        return self.verdict is None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "model": self.model, "region": self.region, "ok": self.ok, "streamed": self.streamed,
            "reply": self.reply, "latency_ms": round(self.latency_s * 1000, 1),
            "time_to_first_token_ms": None if self.ttft_s is None else round(self.ttft_s * 1000, 1),
            "input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
            "request_id": self.request_id or None, "message_id": self.message_id or None,
            "stop_reason": self.stop_reason or None,
            "error": self.verdict.to_json() if self.verdict else None,
        }
        out["logged"] = self.logged.to_json() if self.logged else None
        return out


def pairs(config: Config, *, everything: bool) -> list[tuple[str, str]]:
    """The configured smoke pair, or every configured (model, region) pair for ``--all``."""
    if not everything:
        return [(config.smoke_test.model, config.smoke_test.region)]
    return [(model, region) for model in config.models for region in config.regions]


def chosen_pairs(config: Config, *, everything: bool, model: str | None = None,
                 region: str | None = None) -> list[tuple[str, str]]:
    """``--model``/``--region`` replace the configured smoke pair (each defaulting to it); else ``pairs``."""
    if model or region:
        return [(model or config.smoke_test.model, region or config.smoke_test.region)]
    return pairs(config, everything=everything)


def run_checked(google: GoogleApis, targets: Sequence[tuple[str, str]], *, stream: bool, logged: bool,
                log_timeout_s: float) -> list[SmokeResult]:
    """``run_many``; with ``logged`` (``--verify-logged``) the log targets and row counts first, then every row
    owed waited for (bounded by ``log_timeout_s``)."""
    watched, baselines = log_targets(google, targets) if logged else ({}, {})
    results = run_many(google, targets, stream=stream)
    if logged:
        verify_logged(google, results, watched, timeout_s=log_timeout_s, baselines=baselines)
    return results


def _params(config: Config, model: str) -> dict[str, Any]:
    """The seed's request, verbatim (``anthropic_version`` is sent explicitly, as in the seed)."""
    return {"model": model, "max_tokens": config.smoke_test.max_tokens,
            "messages": [{"role": "user", "content": config.smoke_test.prompt}],
            "extra_body": {"anthropic_version": VERTEX_ANTHROPIC_VERSION}}


def _fill(result: SmokeResult, message: Any) -> None:
    result.reply = "".join(getattr(block, "text", "") for block in message.content)
    result.input_tokens = int(message.usage.input_tokens)
    result.output_tokens = int(message.usage.output_tokens)
    result.message_id = str(message.id)
    result.stop_reason = str(message.stop_reason or "")
    result.request_id = result.request_id or str(getattr(message, "_request_id", None) or "")


def _failure(result: SmokeResult, exc: BaseException, config: Config, base_url: str) -> None:
    """Classify an SDK failure into the availability classes, with the fix."""
    import anthropic

    if isinstance(exc, anthropic.APIStatusError):
        body: Any = exc.body if exc.body is not None else exc.response.text
        result.request_id = result.request_id or str(exc.request_id or "")
        result.verdict = classify(exc.status_code, body, project=config.project, model=result.model,
                                  region=result.region)
    elif isinstance(exc, anthropic.APIConnectionError):
        what = "timed out" if isinstance(exc, anthropic.APITimeoutError) else "could not connect"
        result.verdict = Verdict(Availability.ERROR, 0, "UNAVAILABLE", f"{what}: {base_url}",
                                 "check the network, proxy and endpoints.claude / endpoints.aiplatform settings")
    else:  # SetupError (no credentials) is an error of the whole run, not a failed pair
        raise exc


def import_sdk_in_background() -> threading.Thread:
    """Start importing ``anthropic`` (about a second of CPU) while the command's first requests are in flight.

    ``apply`` needs the SDK only for its closing check, after every change: imported then, it would add that
    second to the end of the run. A later ``from anthropic import ...`` finds the module loaded, or waits on
    Python's import lock for the rest of it. A daemon thread: a command that stops early never waits for it.
    """

    def load() -> None:
        try:
            import anthropic.lib.vertex  # noqa: F401
        except Exception:  # a broken install fails again, and is reported, where the SDK is used
            return

    thread = threading.Thread(target=load, name="import-anthropic", daemon=True)
    thread.start()
    return thread


def run_one(google: GoogleApis, model: str, region: str, *, stream: bool = False) -> SmokeResult:
    """One request with ``AnthropicVertex`` (``messages.create``, or ``messages.stream`` for ``stream``).

    Missing credentials raise SetupError: that is an error of the run (exit 1), not an answer to report.
    """
    config = google.config
    result = SmokeResult(model=model, region=region, streamed=stream)
    start = time.perf_counter()
    client: Any = None
    try:
        client = google.anthropic_client(region)
        google.throttle(VERTEX_API)  # fleet runs: a slot of the Vertex AI rate limit
        result.started, start = time.time(), time.perf_counter()  # measure the request, not the SDK import
        if stream:
            with client.messages.stream(**_params(config, model)) as events:
                result.request_id = str(events.request_id or "")
                for _text in events.text_stream:
                    if result.ttft_s is None:
                        result.ttft_s = time.perf_counter() - start
                message = events.get_final_message()
        else:
            message = client.messages.create(**_params(config, model))
        result.latency_s = time.perf_counter() - start
        _fill(result, message)
    except Exception as exc:
        result.latency_s = time.perf_counter() - start
        _failure(result, exc, config, google.claude_base_url(region))
    finally:
        if client is not None:
            client.close()  # its connection pool: a socket left to the garbage collector warns (ResourceWarning)
    return result


async def _run_async(google: GoogleApis, clients: dict[str, Any], model: str, region: str,
                     stream: bool) -> SmokeResult:
    config = google.config
    await google.athrottle(VERTEX_API)  # fleet runs: a slot of the Vertex AI rate limit
    result = SmokeResult(model=model, region=region, streamed=stream, started=time.time())
    start = time.perf_counter()
    try:
        client = clients[region]
        if stream:
            async with client.messages.stream(**_params(config, model)) as events:
                result.request_id = str(events.request_id or "")
                async for _text in events.text_stream:
                    if result.ttft_s is None:
                        result.ttft_s = time.perf_counter() - start
                message = await events.get_final_message()
        else:
            message = await client.messages.create(**_params(config, model))
        result.latency_s = time.perf_counter() - start
        _fill(result, message)
    except Exception as exc:
        result.latency_s = time.perf_counter() - start
        _failure(result, exc, config, google.claude_base_url(region))
    return result


def run_many(google: GoogleApis, targets: Sequence[tuple[str, str]], *, stream: bool = False) -> list[SmokeResult]:
    """Every (model, region) concurrently (``AsyncAnthropicVertex``, ``asyncio.gather``), in input order."""
    if len(targets) == 1:
        return [run_one(google, *targets[0], stream=stream)]

    async def main() -> list[SmokeResult]:
        clients: dict[str, Any] = {}
        try:
            for region in dict.fromkeys(region for _m, region in targets):
                clients[region] = google.anthropic_client(region, asynchronous=True)
            return list(await asyncio.gather(*(_run_async(google, clients, m, r, stream) for m, r in targets)))
        finally:
            for client in clients.values():
                await client.close()

    return asyncio.run(main())


def credentials_failure(model: str, region: str, exc: SetupError) -> SmokeResult:
    """A request that could not be sent for lack of a token (the apply-time check reports it, never raises)."""
    return SmokeResult(model=model, region=region,
                       verdict=Verdict(Availability.ERROR, 0, "UNAUTHENTICATED", exc.message, exc.hint))


GLOBAL_REASON = ("request-response logging cannot be configured on the global endpoint (Google supports it "
                 "for Anthropic models only on regional endpoints)")


@dataclass(frozen=True)
class LogTarget:
    """Whether one (model, region) owes a log row, and where: read from Google before the requests."""

    table: Table | None  # None: no row is owed (or the config could not be read: ``error``)
    sampling_rate: float = 1.0
    reason: str = ""
    hint: str = ""
    error: bool = False

    def check(self) -> LogCheck:
        """The answer for a pair with no table to watch: "n/a (not loggable: ...)", or a failed read."""
        from vertex_claude_setup.gcp.logrows import LogCheck

        if self.error:
            return LogCheck(False, "", f"cannot tell whether it was logged: {self.reason}", self.hint)
        return LogCheck.not_loggable(self.reason, self.hint)


def _log_target(google: GoogleApis, model: str, region: str) -> LogTarget:
    """The pair's ``loggingConfig`` (``fetchPublisherModelConfig``) decides whether a row can arrive."""
    from vertex_claude_setup.gcp import publisher_config
    from vertex_claude_setup.gcp.logrows import Table

    if region == "global":
        return LogTarget(None, reason=GLOBAL_REASON,
                         hint="call a regional endpoint (e.g. us-east5) for logged traffic")
    from vertex_claude_setup import catalog

    if not catalog.logs_requests(region):
        return LogTarget(None, reason=f"request-response logging cannot be configured in the {region} multi-region "
                                      "(Google supports it for Anthropic models only on regional endpoints)",
                         hint="call a regional endpoint (e.g. us-east5) for logged traffic")
    try:
        logging = publisher_config.fetch(google, google.config.project, region, model).get("loggingConfig") or {}
    except SetupError as exc:
        return LogTarget(None, reason=exc.message, hint=exc.hint, error=True)
    if not logging.get("enabled"):
        return LogTarget(None, reason=f"request-response logging is not enabled for {model} in {region}",
                         hint=f"`vertex-claude-setup logging enable --model {model} --region {region}` (or "
                              "[logging] enabled = true and `vertex-claude-setup apply`)")
    uri = str((logging.get("bigqueryDestination") or {}).get("outputUri") or "")
    table = Table.from_uri(uri)
    if table is None:
        return LogTarget(None, reason=f"{model} in {region} logs to {uri or '(no destination)'}, not a "
                                      "bq://project.dataset[.table] URI", hint="run `vertex-claude-setup apply`",
                         error=True)
    return LogTarget(table, sampling_rate=float(logging.get("samplingRate") or 1.0))


def log_targets(google: GoogleApis, targets: Sequence[tuple[str, str]]) -> tuple[dict[tuple[str, str], LogTarget],
                                                                                    dict[str, int]]:
    """Every pair's log target and each watched table's row count, read concurrently before the requests.

    The row counts are baselines: only rows after them (plus a tail) are scanned for our requests.
    """
    from concurrent.futures import ThreadPoolExecutor

    from vertex_claude_setup.gcp import logrows

    unique = list(dict.fromkeys(targets))
    with ThreadPoolExecutor(max_workers=max(1, min(32, len(unique))), thread_name_prefix="log-target") as pool:
        found = dict(zip(unique, pool.map(lambda p: _log_target(google, *p), unique), strict=True))
        tables = list(dict.fromkeys(t.table for t in found.values() if t.table is not None))
        counts = dict(zip((t.ref for t in tables), pool.map(lambda t: logrows.row_count(google, t), tables),
                          strict=True))
    return found, counts


def verify_logged(google: GoogleApis, results: Iterable[SmokeResult], targets: dict[tuple[str, str], LogTarget], *,
                  timeout_s: float, baselines: dict[str, int] | None = None) -> None:
    """Every answered request that owes a row: wait (bounded) for it; the others are "n/a" at once."""
    from concurrent.futures import ThreadPoolExecutor

    from vertex_claude_setup.gcp import logrows

    config = google.config
    prompt = [{"role": "user", "content": config.smoke_test.prompt}]
    watched: dict[Table, list[SmokeResult]] = {}
    for result in results:
        if not result.answered:
            continue
        target = targets[(result.model, result.region)]
        if target.table is None:
            result.logged = target.check()
        else:
            watched.setdefault(target.table, []).append(result)
    if not watched:
        return

    def wait(table: Table) -> list[LogCheck]:
        wanted = [logrows.Wanted(r.model, r.message_id, prompt, r.started, targets[(r.model, r.region)].sampling_rate)
                  for r in watched[table]]
        return logrows.wait_for_rows(google, table, wanted, timeout_s=timeout_s,
                                     start_index=(baselines or {}).get(table.ref, 0))

    with ThreadPoolExecutor(max_workers=len(watched), thread_name_prefix="log-wait") as pool:
        for table, checks in zip(watched, pool.map(wait, watched), strict=True):
            for result, check in zip(watched[table], checks, strict=True):
                result.logged = check
