"""Text output for the smoke test, the apply-time check and doctor (tests compare it whole)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from vertex_claude_setup.checks.smoke import SmokeResult

if TYPE_CHECKING:
    from vertex_claude_setup.checks.doctor import Report as DoctorReport


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


def _logged_text(result: SmokeResult) -> str:
    """"row found ..." or "n/a (not loggable: why)" for a pair that owes no row."""
    logged = result.logged
    if logged is None:
        return "-"
    return logged.message if logged.found or logged.loggable else f"n/a ({logged.message})"


def _logged_cell(result: SmokeResult) -> str:
    logged = result.logged
    if logged is None:
        return "-"
    return "yes" if logged.found else ("no" if logged.loggable else "n/a")


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
        lines.append(f"  log row:    {_logged_text(result)}")
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
               *([_logged_cell(r)] if logged else []),
               r.request_id or "-"]
        rows.append(row)
    lines = [table(headers, rows)]
    failed = [r for r in results if not r.ok]
    if failed:
        lines.append("")
        for r in failed:
            lines.append(f"✗ {r.model} in {r.region}:")
            lines.extend(_failure_lines(r, "    "))
    not_applicable = [r for r in results if r.logged is not None and not r.logged.found and not r.logged.loggable]
    if not_applicable:
        lines.append("")
        lines.append("Log row n/a (no row owed, not a failure):")
        lines.extend(f"  {r.model} in {r.region}: {r.logged.message}" for r in not_applicable if r.logged)
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


def doctor_text(report: DoctorReport) -> str:
    """The whole ``doctor`` output: who is calling, the checks, then the permission table."""
    ident = report.identity
    lines = [f"Doctor for project {report.project}", "", "Credentials"]
    facts = [("source", ident.source or "-"), ("principal", ident.principal or "-"), ("type", ident.kind or "-"),
             ("quota project", ident.quota_project or "(none)"),
             ("impersonation", " → ".join(ident.chain) if ident.chain else "(none)")]
    lines.extend(f"  {name + ':':<15} {value}" for name, value in facts)
    lines.append("")
    rows: list[list[str]] = []
    for check in report.checks:
        rows.append([check.name, check.result, check.detail])
        if check.fix and check.result != "PASS":
            rows.append(["", "", f"fix: {check.fix}"])
    lines.append(table(["CHECK", "RESULT", "DETAIL"], rows))
    lines.append("")
    perm_rows = [[p.permission, ", ".join(p.needed_by),
                  "SKIP" if p.granted is None else ("PASS" if p.granted else "FAIL"),
                  p.role if p.granted is False else ""] for p in report.permissions]
    lines.append(table(["PERMISSION", "NEEDED BY", "RESULT", "ROLE THAT GRANTS IT"], perm_rows))
    lines.append("")
    problems = sum(c.result == "FAIL" for c in report.checks)
    if report.exit_code == 0:
        lines.append("Doctor: everything checked passed.")
    elif report.exit_code == 1:
        lines.append("Doctor: no usable credentials, so nothing else could be checked.")
    else:
        lines.append(f"Doctor: {problems} check(s) failed; fix them and run doctor again.")
    return "\n".join(lines)
