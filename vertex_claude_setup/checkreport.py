"""Text output for the smoke test and the apply-time check (tests compare it whole)."""

from __future__ import annotations

from collections.abc import Sequence

from .smoke import SmokeResult


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain left-aligned text table (no box drawing: it must paste cleanly into tickets)."""
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows, strict=False)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)).rstrip()
             for row in (headers, *rows)]
    return "\n".join(lines)


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f} ms"


def _status(result: SmokeResult) -> str:
    if result.verdict is not None:
        return f"FAIL ({result.verdict.availability.value})"
    if result.logged is not None and not result.logged.ok:
        return "FAIL (NOT_LOGGED)"
    return "PASS"


def _failure_lines(result: SmokeResult, indent: str) -> list[str]:
    lines: list[str] = []
    verdict = result.verdict
    if verdict is not None:
        said = f"{verdict.http_status} {verdict.status}: " if verdict.http_status else ""
        lines.append(f"{indent}error:      {said}{verdict.message}")
        if verdict.fix:
            lines.append(f"{indent}fix:        {verdict.fix}")
    if result.logged is not None and not result.logged.ok:
        lines.append(f"{indent}log row:    {result.logged.message}")
        if result.logged.hint:
            lines.append(f"{indent}fix:        {result.logged.hint}")
    return lines


def smoke_one(result: SmokeResult) -> str:
    """The detailed report of one request."""
    lines = [f"Smoke test: {result.model} in {result.region}: {_status(result)}"]
    if result.answered:
        lines.append(f"  reply:      {result.reply.strip() or '(empty)'}")
        latency = _ms(result.latency_s)
        if result.streamed:
            latency += f" (time to first token {_ms(result.ttft_s)})"
        lines.append(f"  latency:    {latency}")
        lines.append(f"  tokens:     {result.input_tokens} in / {result.output_tokens} out "
                     f"(stop reason {result.stop_reason or '-'})")
    if result.request_id:
        lines.append(f"  request id: {result.request_id}")
    if result.logged is not None and result.logged.ok:
        lines.append(f"  log row:    {result.logged.message}")
    lines.extend(_failure_lines(result, "  "))
    return "\n".join(lines)


def smoke_table(results: Sequence[SmokeResult]) -> str:
    """``--all``: one row per (model, region), then the failures with their fixes, then a summary."""
    stream = any(r.streamed for r in results)
    logged = any(r.logged is not None for r in results)
    headers = ["MODEL", "REGION", "RESULT", "LATENCY", *(["TTFT"] if stream else []), "TOKENS IN/OUT",
               *(["LOGGED"] if logged else []), "REQUEST ID"]
    rows = []
    for r in results:
        row = [r.model, r.region, _status(r), _ms(r.latency_s) if r.answered else "-",
               *([_ms(r.ttft_s)] if stream else []),
               f"{r.input_tokens}/{r.output_tokens}" if r.answered else "-",
               *([("yes" if r.logged.ok else "no") if r.logged else "-"] if logged else []),
               r.request_id or "-"]
        rows.append(row)
    lines = [table(headers, rows)]
    failed = [r for r in results if not r.ok]
    if failed:
        lines.append("")
        for r in failed:
            lines.append(f"✗ {r.model} in {r.region}:")
            lines.extend(_failure_lines(r, "    "))
    ok = len(results) - len(failed)
    lines.append("")
    lines.append(f"{ok} of {len(results)} (model, region) pairs passed.")
    return "\n".join(lines)


def apply_check(result: SmokeResult) -> str:
    """The check block printed at the end of ``apply``."""
    if result.ok:
        return (f"Check smoke_test: PASS: {result.model} in {result.region} answered in {_ms(result.latency_s)} "
                f"({result.input_tokens} in / {result.output_tokens} out tokens"
                + (f", request id {result.request_id})" if result.request_id else ")"))
    lines = [f"Check smoke_test: {_status(result)}: {result.model} in {result.region} did not answer "
             "(reported only: nothing was rolled back)"]
    lines.extend(_failure_lines(result, "  "))
    return "\n".join(lines)
