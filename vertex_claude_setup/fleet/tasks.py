"""Each fleet command for one project: the single-project library call, turned into a report row.

The same calls and the same verdicts as the single-project commands: ``availability.audit.run_audit``
(``regions audit``), ``compliance.verify`` (``logging verify``), ``checks.smoke`` (``smoke-test``),
``checks.doctor`` (``doctor``), ``steps.workflow`` (``plan``/``apply``). Each ``summarize`` adds the
command's fleet-wide counts to the summary.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .report import Check, CheckStatus, ProjectResult

if TYPE_CHECKING:
    from vertex_claude_setup.availability.fallback import AuditProbe
    from vertex_claude_setup.availability.probe import Limits
    from vertex_claude_setup.checks.smoke import SmokeResult
    from vertex_claude_setup.config import Config
    from vertex_claude_setup.engine.model import Plan
    from vertex_claude_setup.gcp.session import GoogleApis

COLUMNS: dict[str, list[tuple[str, str]]] = {
    "regions audit": [("available", "available"), ("pairs", "pairs"), ("not_available", "not available")],
    "logging verify": [("PASS", "pass"), ("FAIL", "fail"), ("WARN", "warn"), ("verdict", "verdict")],
    "smoke-test": [("passed", "passed"), ("failed", "failed"), ("latency_ms", "median ms")],
    "doctor": [("passed", "passed"), ("failed", "failed"), ("missing_permissions", "missing permissions")],
    "plan": [("create", "add"), ("update", "change"), ("delete", "destroy"), ("check_errors", "failed checks")],
    "apply": [("applied", "applied"), ("failed", "failed"), ("skipped", "skipped"), ("check", "check")],
}


def _status(errors: bool, findings: bool) -> Any:
    return "error" if errors else "findings" if findings else "ok"


@dataclass(frozen=True)
class AuditOptions:
    models: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    mode: AuditProbe = "auto"
    quotas: bool = True
    limits: Limits | None = None


def warm_up_audit(google: GoogleApis, opts: AuditOptions) -> None:
    """Import and build what the audit's first probe and first quota read would, before the run starts.

    Done mid-run, the imports (aiohttp, the Cloud Quotas client) would stall the one event loop every
    project shares: probes whose slot came meanwhile would leave together, bunched into one quota window.
    """
    import aiohttp  # noqa: F401  (the probes' HTTP client: gcp/rawpredict.py)

    from vertex_claude_setup.availability import audit as _audit  # noqa: F401
    from vertex_claude_setup.gcp import quotas

    if opts.quotas:
        quotas.client(google)


async def audit(google: GoogleApis, cfg: Config, opts: AuditOptions) -> ProjectResult:
    """``regions audit`` for one project: every (model, region), classified (a coroutine: one loop, all projects)."""
    from vertex_claude_setup.availability.audit import audit_async
    from vertex_claude_setup.availability.classify import Availability

    models, regions = list(opts.models or cfg.models), list(opts.regions or cfg.regions)
    result = await audit_async(google, cfg.project, models, regions, mode=opts.mode, limits=opts.limits,
                               cache=None, quotas=opts.quotas)
    classes = Counter(r.availability.value for r in result.ordered())
    bad = {k: v for k, v in classes.items() if k != Availability.AVAILABLE.value}
    checks = [Check(f"{r.model}/{r.region}", f"{r.model} in {r.region}",
                    "PASS" if r.availability is Availability.AVAILABLE else "FAIL",
                    f"{r.availability.value}: {result.explanation(r)}", r.verdict.fix) for r in result.ordered()]
    available = classes.get(Availability.AVAILABLE.value, 0)
    return ProjectResult(cfg.project, _status(False, bool(bad)), f"{available} of {len(checks)} pairs available",
                         {"available": available, "pairs": len(checks), "classes": dict(classes),
                          "not_available": ", ".join(f"{k} ×{v}" for k, v in sorted(bad.items())),
                          "quotas": "read" if result.quotas.readable else result.quotas.reason},
                         checks)


def summarize_audit(rows: Sequence[ProjectResult]) -> dict[str, Any]:
    classes: Counter[str] = Counter()
    for row in rows:
        classes.update(row.fields.get("classes") or {})
    return {"pairs": sum(classes.values()), "by_class": dict(classes.most_common()),
            "all_available": sum(r.status == "ok" for r in rows)}


def verify(google: GoogleApis, cfg: Config) -> ProjectResult:
    """``logging verify`` for one project: PASS/FAIL/WARN checks; read errors make the row an error."""
    from vertex_claude_setup.compliance.verify import verify as run_verify
    from vertex_claude_setup.engine.model import Context

    report = run_verify(Context(cfg, google))
    counts = report.counts()
    verdict = {0: "compliant", 3: "NOT compliant"}.get(report.exit_code, "incomplete")
    checks = [Check(c.id, c.name, c.status, c.reason, c.fix) for c in report.checks]
    return ProjectResult(cfg.project, _status(bool(report.errors), report.exit_code == 3),
                         f"{counts['PASS']} passed, {counts['FAIL']} failed, {counts['WARN']} warnings: {verdict}",
                         {**counts, "verdict": verdict}, checks, error="; ".join(report.errors))


def summarize_verify(rows: Sequence[ProjectResult]) -> dict[str, Any]:
    verdicts = Counter(r.fields.get("verdict", "incomplete") for r in rows)
    return {"compliant": verdicts["compliant"], "not_compliant": verdicts["NOT compliant"],
            "incomplete": len(rows) - verdicts["compliant"] - verdicts["NOT compliant"]}


@dataclass(frozen=True)
class SmokeOptions:
    """``smoke-test``'s flags: --all, --stream, --model, --region, --verify-logged, --log-timeout."""

    everything: bool = False
    stream: bool = False
    model: str | None = None
    region: str | None = None
    verify_logged: bool = False
    log_timeout_s: float = 180.0


def _smoke_check(r: SmokeResult) -> Check:
    name = f"{r.model} in {r.region}"
    if r.verdict is not None:
        return Check(f"{r.model}/{r.region}", name, "FAIL", f"{r.verdict.availability.value}: {r.verdict.message}",
                     r.verdict.fix)
    answered = f"{r.latency_s * 1000:.0f} ms, {r.output_tokens} tokens: {r.reply[:80]}"
    if r.logged is None:
        return Check(f"{r.model}/{r.region}", name, "PASS", answered)
    if not r.logged.ok:
        return Check(f"{r.model}/{r.region}", name, "FAIL", f"NOT_LOGGED: {r.logged.message}", r.logged.hint)
    log_row = r.logged.message if r.logged.found else f"n/a ({r.logged.message})"
    return Check(f"{r.model}/{r.region}", name, "PASS", f"{answered}; log row: {log_row}")


def smoke(google: GoogleApis, cfg: Config, opts: SmokeOptions) -> ProjectResult:
    """``smoke-test`` for one project: "Hey Claude!" to the smoke pair (``--all``: every pair; ``--model``/
    ``--region``: that pair), and with ``--verify-logged`` each request's log row."""
    from vertex_claude_setup.checks import smoke as smoke_test

    google.access_token()
    targets = smoke_test.chosen_pairs(cfg, everything=opts.everything, model=opts.model, region=opts.region)
    results = smoke_test.run_checked(google, targets, stream=opts.stream, logged=opts.verify_logged,
                                     log_timeout_s=opts.log_timeout_s)
    checks = [_smoke_check(r) for r in results]
    passed = sum(r.ok for r in results)
    latencies = [r.latency_s * 1000 for r in results if r.answered]
    median = round(statistics.median(latencies)) if latencies else None
    why = Counter(r.verdict.availability.value if r.verdict is not None else "NOT_LOGGED"
                  for r in results if not r.ok)
    summary = f"{passed} of {len(results)} passed" + (
        f" ({', '.join(f'{k} ×{v}' for k, v in sorted(why.items()))})" if why else "")
    fields: dict[str, Any] = {"passed": passed, "failed": len(results) - passed, "latency_ms": median}
    if opts.verify_logged:
        logs = [r.logged for r in results if r.logged is not None]
        fields |= {"logged": sum(c.found for c in logs), "not_logged": sum(not c.ok for c in logs),
                   "log_not_applicable": sum(not c.found and not c.loggable for c in logs)}
        summary += (f"; log rows: {fields['logged']} found, {fields['not_logged']} missing, "
                    f"{fields['log_not_applicable']} n/a")
    return ProjectResult(cfg.project, _status(False, passed < len(results)), summary, fields, checks)


def summarize_smoke(rows: Sequence[ProjectResult]) -> dict[str, Any]:
    out = {"pairs_passed": sum(int(r.fields.get("passed", 0)) for r in rows),
           "pairs_failed": sum(int(r.fields.get("failed", 0)) for r in rows),
           "projects_passing": sum(r.status == "ok" for r in rows)}
    if any("logged" in r.fields for r in rows):  # --verify-logged
        out |= {"log_rows_found": sum(int(r.fields.get("logged", 0)) for r in rows),
                "log_rows_missing": sum(int(r.fields.get("not_logged", 0)) for r in rows),
                "projects_not_logging": sum(int(r.fields.get("not_logged", 0)) > 0 for r in rows)}
    return out


def doctor(google: GoogleApis, cfg: Config) -> ProjectResult:
    """``doctor`` for one project; no credentials is an error of the whole run (raised by the caller)."""
    from vertex_claude_setup.checks.doctor import diagnose
    from vertex_claude_setup.steps.permissions import permission_rows

    report = diagnose(google, permission_rows(cfg))
    status_of: dict[str, CheckStatus] = {"PASS": "PASS", "FAIL": "FAIL", "WARN": "WARN", "SKIP": "INFO"}
    checks = [Check(c.name, c.name, status_of[c.result], c.detail, c.fix) for c in report.checks]
    missing = [p for p in report.permissions if p.granted is False]
    checks += [Check(f"permission/{p.permission}", p.permission, "FAIL", f"missing; needed by {', '.join(p.needed_by)}",
                     f"grant {p.role}") for p in missing]
    failed = sum(c.status == "FAIL" for c in checks)
    return ProjectResult(cfg.project, _status(report.exit_code == 1, report.exit_code == 3),
                         f"{failed} failed" if failed else "all checks passed",
                         {"passed": sum(c.status == "PASS" for c in checks), "failed": failed,
                          "missing_permissions": len(missing)}, checks)


def summarize_doctor(rows: Sequence[ProjectResult]) -> dict[str, Any]:
    return {"healthy": sum(r.status == "ok" for r in rows),
            "missing_permissions": sum(int(r.fields.get("missing_permissions", 0)) for r in rows)}


_SEVERITY: dict[str, CheckStatus] = {"error": "FAIL", "warning": "WARN", "info": "INFO"}


def plan_row(plan: Plan) -> ProjectResult:
    """``plan`` for one project, from the plan ``steps.workflow.make_plan`` made."""
    from vertex_claude_setup.engine.model import SYMBOLS

    checks = [Check(f"change/{c.step}", f"{SYMBOLS[c.action]} {c.summary}", "CHANGE",
                    "" if c.before is None and c.after is None else f"{c.before} → {c.after}", c.reason)
              for c in plan.changes]
    checks += [Check(f"check/{f.step}", f.message, _SEVERITY[f.severity], f.message, f.hint) for f in plan.findings]
    checks += [Check(f"error/{s.step}", f"{s.step}: cannot be read", "FAIL", s.error, s.hint) for s in plan.errors]
    counts = plan.counts()
    check_errors = sum(f.severity == "error" for f in plan.findings)
    first = plan.errors[0] if plan.errors else None
    if first is not None:
        summary = f"plan incomplete: {first.step}: {first.error}"
    elif plan.changes:
        summary = f"{counts['create']} to add, {counts['update']} to change, {counts['delete']} to destroy"
    else:
        summary = "no changes"
    return ProjectResult(plan.project, _status(bool(plan.errors), check_errors > 0), summary,
                         {**counts, "check_errors": check_errors}, checks,
                         error=first.error if first else "", hint=first.hint if first else "")


def summarize_plan(rows: Sequence[ProjectResult]) -> dict[str, Any]:
    changes = sum(int(r.fields.get(k, 0)) for r in rows for k in ("create", "update", "delete"))
    return {"changes": changes, "projects_with_changes": sum(
        any(int(r.fields.get(k, 0)) for k in ("create", "update", "delete")) for r in rows)}


def apply(google: GoogleApis, cfg: Config, plan: Plan, *, fail_on_check: bool) -> ProjectResult:
    """``apply`` of one project's (already shown) plan, then its smoke-test check."""
    from vertex_claude_setup.engine.model import Context, Finding, Outcome
    from vertex_claude_setup.steps import all_steps, workflow
    from vertex_claude_setup.steps.smoke import SmokeStep

    ctx = Context(cfg, google)
    late: list[Finding] = []
    outcomes: list[Outcome] = workflow.apply(ctx, plan, lambda _o: None, late.append) if plan.changes else []
    status_of: dict[str, CheckStatus] = {"applied": "PASS", "failed": "FAIL", "skipped": "WARN"}
    checks = [Check(f"{o.step}", o.summary, status_of[o.status], o.message, o.hint) for o in outcomes]
    findings = [*plan.findings, *late]
    checks += [Check(f"check/{f.step}", f.message, _SEVERITY[f.severity], f.message, f.hint) for f in findings]
    failed = [o for o in outcomes if o.status == "failed"]
    check = "off"
    step = next((s for s in all_steps(cfg) if isinstance(s, SmokeStep)), None)
    if step is not None and not failed:
        smoke_result = step.run_check(ctx)
        check = "passed" if smoke_result.ok else "failed"
        message = (f"{smoke_result.latency_s * 1000:.0f} ms" if smoke_result.verdict is None
                   else f"{smoke_result.verdict.availability.value}: {smoke_result.verdict.message}")
        checks.append(Check("smoke_test", f"smoke test {smoke_result.model} in {smoke_result.region}",
                            "PASS" if smoke_result.ok else "FAIL", message,
                            smoke_result.verdict.fix if smoke_result.verdict else ""))
    applied = sum(o.status == "applied" for o in outcomes)
    findings_fail = any(f.severity == "error" for f in findings) or (fail_on_check and check == "failed")
    summary = (f"apply failed: {len(failed)} failed: {failed[0].message}" if failed
               else f"{applied} applied" if outcomes else "no changes")
    return ProjectResult(cfg.project, _status(bool(failed), findings_fail), summary,
                         {"applied": applied, "failed": len(failed),
                          "skipped": sum(o.status == "skipped" for o in outcomes), "check": check}, checks,
                         error=failed[0].message if failed else "", hint=failed[0].hint if failed else "")


def summarize_apply(rows: Sequence[ProjectResult]) -> dict[str, Any]:
    return {"applied": sum(int(r.fields.get("applied", 0)) for r in rows),
            "failed_changes": sum(int(r.fields.get("failed", 0)) for r in rows),
            "converged": sum(r.status != "error" for r in rows)}


SUMMARIZE = {"regions audit": summarize_audit, "logging verify": summarize_verify, "smoke-test": summarize_smoke,
             "doctor": summarize_doctor, "plan": summarize_plan, "apply": summarize_apply}
