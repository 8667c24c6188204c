"""The smoke test: the seed's "Hey Claude!" request through the real ``anthropic`` SDK, measured and classified.

Exactly the documented request — ``AnthropicVertex(...).messages.create(model=M, max_tokens=N,
messages=[{"role": "user", "content": prompt}])`` with ``anthropic_version`` ``vertex-2023-10-16``
and the model in the URL — so a pass here means the user's own code will work. Failures are
classified with the availability classes (one explanation everywhere) and carry the fix.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .availability import Availability, Verdict, classify
from .errors import SetupError

if TYPE_CHECKING:
    from .config import Config
    from .gcp.logrows import LogCheck
    from .gcp.session import GoogleApis

ANTHROPIC_VERSION = "vertex-2023-10-16"


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


def _params(config: Config, model: str) -> dict[str, Any]:
    """The seed's request, verbatim (``anthropic_version`` is sent explicitly, as in the seed)."""
    return {"model": model, "max_tokens": config.smoke_test.max_tokens,
            "messages": [{"role": "user", "content": config.smoke_test.prompt}],
            "extra_body": {"anthropic_version": ANTHROPIC_VERSION}}


def _fill(result: SmokeResult, message: Any) -> None:
    result.reply = "".join(getattr(block, "text", "") for block in message.content)
    result.input_tokens = int(message.usage.input_tokens)
    result.output_tokens = int(message.usage.output_tokens)
    result.message_id = str(message.id)
    result.stop_reason = str(message.stop_reason or "")
    result.request_id = result.request_id or str(getattr(message, "_request_id", None) or "")


def _failure(result: SmokeResult, exc: BaseException, config: Config, base_url: str) -> None:
    """Classify an SDK or credentials failure into the availability classes, with the fix."""
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
    elif isinstance(exc, SetupError):
        result.verdict = Verdict(Availability.ERROR, 0, "UNAUTHENTICATED", exc.message, exc.hint)
    else:
        raise exc


def run_one(google: GoogleApis, model: str, region: str, *, stream: bool = False) -> SmokeResult:
    """One request with ``AnthropicVertex`` (``messages.create``, or ``messages.stream`` for ``stream``)."""
    config = google.config
    result = SmokeResult(model=model, region=region, streamed=stream)
    start = time.perf_counter()
    try:
        client = google.anthropic_client(region)
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
    return result


async def _run_async(google: GoogleApis, clients: dict[str, Any], model: str, region: str,
                     stream: bool) -> SmokeResult:
    config = google.config
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

    try:
        return asyncio.run(main())
    except SetupError as exc:  # no token at all: every pair fails the same way
        return [SmokeResult(model=m, region=r, streamed=stream,
                            verdict=Verdict(Availability.ERROR, 0, "UNAUTHENTICATED", exc.message, exc.hint))
                for m, r in targets]


def verify_logged(google: GoogleApis, results: Iterable[SmokeResult], *, timeout_s: float,
                  baselines: dict[str, int] | None = None) -> None:
    """For every answered request, wait (bounded) for its row in the request-response log table."""
    from .gcp import logrows

    config = google.config
    answered = [r for r in results if r.answered]
    if not answered:
        return
    if not config.logging.enabled:
        for result in answered:
            result.logged = logrows.LogCheck(False, "", "request-response logging is off in the config "
                                                        "([logging] enabled = false)",
                                             "set [logging] enabled = true and run `vertex-claude-setup apply`")
        return
    table = logrows.Table(config.project, config.logging.dataset, logrows.TABLE)
    prompt = [{"role": "user", "content": config.smoke_test.prompt}]
    found = logrows.wait_for_rows(google, table, [logrows.Wanted.of(r, prompt) for r in answered], timeout_s=timeout_s,
                                  start_index=(baselines or {}).get(table.ref, 0))
    for result, check in zip(answered, found, strict=True):
        result.logged = check


def log_baseline(google: GoogleApis) -> dict[str, int]:
    """The log table's row count before the requests: only rows after it need scanning."""
    from .gcp import logrows

    config = google.config
    if not config.logging.enabled:
        return {}
    table = logrows.Table(config.project, config.logging.dataset, logrows.TABLE)
    return {table.ref: logrows.row_count(google, table)}
