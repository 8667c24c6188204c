"""Renderers of a fleet report: text table, JSON, CSV, Markdown, and the combined plan ``fleet apply`` shows.

JUnit and SARIF live in ``fleet_ci``, HTML in ``fleet_html``. Every renderer takes a report already
computed and returns a string.
"""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Any

from .checks import table as text_table

if TYPE_CHECKING:
    from vertex_claude_setup.engine.model import Plan
    from vertex_claude_setup.fleet.report import FleetReport, ProjectResult

FORMATS = ("table", "json", "csv", "markdown", "html", "junit")


def render(report: FleetReport, fmt: str, *, config_file: str = "vertex-claude.toml") -> str:
    """Dispatch to the renderer of ``fmt`` (FORMATS, and ``sarif`` for ``logging verify``)."""
    if fmt == "html":
        from .fleet_html import render_html

        return render_html(report)
    if fmt in {"junit", "sarif"}:
        from . import fleet_ci

        return fleet_ci.junit(report) if fmt == "junit" else fleet_ci.sarif(report, config_file)
    return {"table": render_table, "json": render_json, "csv": render_csv, "markdown": render_markdown}[fmt](report)


def cell(value: Any) -> str:
    """A field as a table cell: numbers as they are, nothing for None."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def summary_line(report: FleetReport) -> str:
    counts = report.counts()
    parts = [f"{counts['projects']} projects", f"{counts['ok']} ok", f"{counts['findings']} with findings",
             f"{counts['error']} errors"]
    if counts["skipped"]:
        parts.append(f"{counts['skipped']} skipped")
    if counts["unreadable"]:
        parts.append(f"{counts['unreadable']} not readable")
    resumed = f", {report.resumed} from the previous attempt" if report.resumed else ""
    return f"Fleet {report.command}: " + " · ".join(parts) + f" ({report.elapsed_s:.1f} s{resumed})"


def aggregate_lines(report: FleetReport) -> list[str]:
    """The command's fleet-wide counts, one line each."""
    lines = []
    for key, value in report.aggregates.items():
        text = (" · ".join(f"{k} {v}" for k, v in value.items()) or "-") if isinstance(value, dict) else cell(value)
        lines.append(f"{key.replace('_', ' ')}: {text}")
    return lines


def request_lines(report: FleetReport) -> list[str]:
    return [f"{api}: {u['requests']} requests at {u['per_second']}/s (waited {u['waited_s']} s for slots"
            + (f", paused {u['paused']}× on RetryInfo" if u.get("paused") else "") + ")"
            for api, u in report.usage.items()]


def exit_line(report: FleetReport) -> str:
    code = report.exit_code
    counts = report.counts()
    if code == 1:
        return f"Exit 1: {counts['error'] + counts['unreadable']} projects or folders could not be read or run."
    if code == 3:
        return f"Exit 3: findings in {counts['findings']} projects."
    if code == 2:
        return "Exit 2: changes planned."
    return "Exit 0: every project is fine."


def render_table(report: FleetReport) -> str:
    headers = ["project", "status", *(title for _key, title in report.columns), "summary"]
    rows = [[r.project, r.status, *(cell(r.fields.get(k)) for k, _t in report.columns), r.summary]
            for r in report.rows]
    lines = [summary_line(report), ""]
    if rows:
        lines += [text_table(headers, rows), ""]
    lines += aggregate_lines(report)
    not_read = report.not_read()
    if not_read:
        lines += ["", f"Could not be read or run ({len(not_read)}):"]
        for item in not_read:
            lines.append(f"  {item.name}: {item.message}" + (f" — fix: {item.fix}" if item.fix else ""))
    if report.skipped:
        lines += ["", f"Skipped ({len(report.skipped)}):"]
        lines += [f"  {s.project}: {s.reason}" for s in report.skipped]
    if report.usage:
        lines += ["", "Requests:", *(f"  {line}" for line in request_lines(report))]
    lines += ["", exit_line(report)]
    return "\n".join(lines) + "\n"


def render_json(report: FleetReport) -> str:
    return json.dumps(report.to_json(), indent=2) + "\n"


def _csv_row(r: ProjectResult, keys: list[str]) -> list[str]:
    labels = ";".join(f"{k}={v}" for k, v in sorted(r.labels.items()))
    return [r.project, r.status, *(cell(r.fields.get(k)) for k in keys), r.summary, r.error, r.hint, r.parent, labels]


def render_csv(report: FleetReport) -> str:
    """One line per project (skipped and unreadable ones too, with their status)."""
    keys = [k for k, _t in report.columns]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["project", "status", *keys, "summary", "error", "fix", "parent", "labels"])
    for r in report.rows:
        writer.writerow(_csv_row(r, keys))
    for s in report.skipped:
        writer.writerow([s.project, "skipped", *([""] * len(keys)), s.reason, "", "", "", ""])
    for u in report.unreadable:
        writer.writerow([u.name, "unreadable", *([""] * len(keys)), "", u.message, u.fix, "", ""])
    return out.getvalue()


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: FleetReport) -> str:
    icon = {"ok": "✅ ok", "findings": "⚠️ findings", "error": "❌ error"}
    titles = [t for _k, t in report.columns]
    lines = [f"## vertex-claude-setup fleet {report.command}", "", f"**{_md(summary_line(report))}**", "",
             *(f"- {_md(line)}" for line in aggregate_lines(report)), "",
             "| Project | Status | " + " | ".join(titles) + " | Summary |",
             "|---|---|" + "---|" * len(titles) + "---|"]
    for r in report.rows:
        cells = " | ".join(_md(cell(r.fields.get(k))) for k, _t in report.columns)
        lines.append(f"| `{r.project}` | {icon[r.status]} | {cells} | {_md(r.summary)} |")
    not_read = report.not_read()
    if not_read:
        lines += ["", f"### Could not be read or run ({len(not_read)})", ""]
        lines += [f"- `{u.name}`: {_md(u.message)}" + (f" — fix: {_md(u.fix)}" if u.fix else "") for u in not_read]
    if report.skipped:
        lines += ["", f"### Skipped ({len(report.skipped)})", ""]
        lines += [f"- `{s.project}`: {_md(s.reason)}" for s in report.skipped]
    return "\n".join(lines) + "\n"


def combined_plan(plans: list[Plan], errors: list[ProjectResult]) -> str:
    """What ``fleet apply`` will do in every project, before it asks: one plan for the whole fleet."""
    from vertex_claude_setup.engine.model import SYMBOLS

    changing = [p for p in plans if p.changes]
    totals = {"create": 0, "update": 0, "delete": 0}
    for plan in changing:
        for action, count in plan.counts().items():
            totals[action] += count
    lines = [f"Fleet plan: {len(plans) + len(errors)} projects, {len(changing)} with changes "
             f"({totals['create']} to add, {totals['update']} to change, {totals['delete']} to destroy), "
             f"{len(plans) - len(changing)} unchanged, {len(errors)} cannot be planned.", ""]
    for plan in changing:
        lines.append(f"project {plan.project}:")
        lines += [f"  {SYMBOLS[c.action]} {c.summary}" for c in plan.changes]
        failed = [f for f in plan.findings if f.severity == "error"]
        lines += [f"  ✗ {f.message}" for f in failed]
        lines.append("")
    if errors:
        lines.append("Cannot be planned (not applied):")
        lines += [f"  {r.project}: {r.error}" + (f" — fix: {r.hint}" if r.hint else "") for r in errors]
        lines.append("")
    return "\n".join(lines)
