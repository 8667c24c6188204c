"""Renderers of an ``Audit``: rich table, JSON, CSV and Markdown (HTML lives in ``report_html``).

Every renderer returns a string, so the CLI decides where it goes (stdout or ``--output``) and tests
compare whole outputs.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from vertex_claude_setup.availability.audit import DESCRIPTIONS, SYMBOLS
from vertex_claude_setup.availability.classify import Availability

if TYPE_CHECKING:
    from vertex_claude_setup.availability.audit import Audit
    from vertex_claude_setup.availability.probe import ProbeResult

FORMATS = ("table", "json", "csv", "markdown", "html")
STYLES: dict[Availability, str] = {
    Availability.AVAILABLE: "bold green", Availability.NOT_SERVABLE_IN_REGION: "dim",
    Availability.NOT_ENABLED: "yellow", Availability.ORG_POLICY_BLOCKED: "red",
    Availability.NOT_FOUND_OR_NO_ACCESS: "magenta",
    Availability.DATA_SHARING_REQUIRED: "yellow", Availability.PERMISSION_DENIED: "red",
    Availability.API_DISABLED: "red", Availability.BILLING_DISABLED: "red", Availability.QUOTA_EXHAUSTED: "yellow",
    Availability.ERROR: "bold red",
}
_PER_PAIR = {Availability.QUOTA_EXHAUSTED, Availability.ERROR}


@dataclass(frozen=True)
class Problem:
    """Pairs that failed for the same reason: one model, one class, the locations, one fix."""

    model: str
    availability: Availability
    regions: tuple[str, ...]
    explanation: str
    fix: str
    message: str


def problems(audit: Audit) -> list[Problem]:
    """Unavailable pairs grouped per (model, class); quota and server errors stay per location."""
    groups: dict[tuple[str, Availability, str], list[ProbeResult]] = {}
    for result in audit.problems:
        key_region = result.region if result.availability in _PER_PAIR else ""
        groups.setdefault((result.model, result.availability, key_region), []).append(result)
    out = []
    for (model, cls, _region), results in groups.items():
        first = results[0]
        out.append(Problem(model, cls, tuple(r.region for r in results), audit.explanation(first),
                           first.verdict.fix, first.verdict.message))
    return out


GENERATE_MARK = "†"


def mark(audit: Audit, result: ProbeResult) -> str:
    """``†`` after the symbol of a pair ``--probe auto`` answered with a generate request."""
    return GENERATE_MARK if audit.probe == "auto" and result.by_generate else ""


def generate_note(audit: Audit) -> str:
    """What ``†`` means and what it cost, or ``""`` when no pair needed a generate request."""
    pairs = audit.by_generate if audit.probe == "auto" else []
    if not pairs:
        return ""
    cost = sum(audit.costs_tokens(r) for r in pairs)
    return (f"{GENERATE_MARK} probed with a 1-token generate request (count-tokens is not served there): "
            f"{len(pairs)} pair(s), {cost} of them cost tokens")


def legend_items(audit: Audit | None = None) -> list[tuple[Availability, str, str]]:
    """(class, symbol, meaning) for every class, or only those present in ``audit``."""
    present = {r.availability for r in audit.results.values()} if audit else set(Availability)
    return [(cls, SYMBOLS[cls], DESCRIPTIONS[cls]) for cls in Availability if cls in present]


def summary_line(audit: Audit) -> str:
    total = len(audit.results)
    ok = total - len(audit.problems)
    text = f"{ok} of {total} (model, location) pairs available"
    if audit.problems:
        text += f"; {len(audit.problems)} not (exit 3)"
    if audit.cached_count:
        text += f". {audit.cached_count} from the cache (--refresh re-probes)"
    return text + "."


def quota_rows(audit: Audit) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """Base models × configured locations of requests-per-minute quotas ("-" when not listed)."""
    from vertex_claude_setup import catalog

    bases: list[str] = []
    for model in audit.models:
        info = catalog.models().get(model)
        if info and info.quota_base_model not in bases:
            bases.append(info.quota_base_model)
    rows = []
    for base in bases:
        cells = []
        for region in audit.regions:
            value = audit.quotas.limit(base, region)
            cells.append("-" if value is None else ("unlimited" if value < 0 else str(value)))
        rows.append((base, cells))
    return audit.regions, rows


def render_table(audit: Audit, *, color: bool = False, width: int = 100) -> str:
    """The rich matrix (models as rows, locations as columns), legend, problems with fixes, quotas."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=color, color_system="standard" if color else None,
                      no_color=not color, highlight=False, emoji=False)
    def say(text: str = "") -> None:
        console.print(text, soft_wrap=True, markup=False)

    say(f"Claude on Vertex AI for project {audit.project} (probe: {audit.probe.replace('_', '-')})")
    table = Table(header_style="bold")
    table.add_column("model", no_wrap=True)
    for region in audit.regions:
        table.add_column(region, justify="center", no_wrap=True)
    for model in audit.models:
        cells = [Text(SYMBOLS[r.availability] + mark(audit, r), style=STYLES[r.availability])
                 for r in (audit.result(model, region) for region in audit.regions)]
        table.add_row(Text(model), *cells)
    console.print(table)
    say("Legend: " + "  ".join(f"{sym} {cls.value}" for cls, sym, _ in legend_items(audit)))
    if generate_note(audit):
        say(generate_note(audit))
    found = problems(audit)
    if found:
        say()
        say("Not available:")
        for problem in found:
            say(f"  {SYMBOLS[problem.availability]} {problem.model} in {', '.join(problem.regions)}: "
                f"{problem.availability.value} — {problem.explanation}")
            if problem.fix:
                say(f"      fix: {problem.fix}")
    say()
    if audit.quotas.readable:
        regions, rows = quota_rows(audit)
        say("Quota: requests per minute per base model (Cloud Quotas API)")
        quota_table = Table(header_style="bold")
        quota_table.add_column("base model", no_wrap=True)
        for region in regions:
            quota_table.add_column(region, justify="right", no_wrap=True)
        for base, values in rows:
            quota_table.add_row(base, *values)
        console.print(quota_table)
    else:
        say(f"Quota: not shown: {audit.quotas.reason}" + (f" (fix: {audit.quotas.hint})" if audit.quotas.hint else ""))
    say(summary_line(audit))
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


def render_json(audit: Audit) -> str:
    return json.dumps(audit.to_json(), indent=2, ensure_ascii=False) + "\n"


CSV_COLUMNS = ("model", "region", "class", "symbol", "http_status", "status", "latency_ms", "attempts", "cached",
               "quota_requests_per_minute", "explanation", "fix", "message", "probe", "costs_tokens")


def render_csv(audit: Audit) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in audit.to_json()["results"]:
        writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in CSV_COLUMNS})
    return buffer.getvalue()


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(audit: Audit) -> str:
    data = audit.to_json()
    lines = [f"# Claude on Vertex AI: availability for project `{audit.project}`", "",
             f"Probe: {audit.probe.replace('_', '-')} · generated {data['generated_at']} · "
             f"vertex-claude-setup {data['tool']['version']}", "",
             "| model | " + " | ".join(audit.regions) + " |",
             "|---|" + "|".join(":-:" for _ in audit.regions) + "|"]
    for model in audit.models:
        results = [audit.result(model, r) for r in audit.regions]
        lines.append(f"| `{model}` | " + " | ".join(SYMBOLS[r.availability] + mark(audit, r) for r in results) + " |")
    lines += ["", "Legend: " + " · ".join(f"{sym} {cls.value}" for cls, sym, _ in legend_items(audit)), ""]
    if generate_note(audit):
        lines += [generate_note(audit), ""]
    found = problems(audit)
    if found:
        lines += ["## Not available", ""]
        for problem in found:
            lines.append(f"- **{problem.model}** in {', '.join(problem.regions)}: `{problem.availability.value}` — "
                         f"{_md(problem.explanation)}")
            if problem.fix:
                lines.append(f"  - fix: {_md(problem.fix)}")
            if problem.message:
                lines.append(f"  - Google said: `{_md(problem.message)}`")
        lines.append("")
    lines += ["## Quota (requests per minute per base model)", ""]
    if audit.quotas.readable:
        regions, rows = quota_rows(audit)
        lines += ["| base model | " + " | ".join(regions) + " |", "|---|" + "|".join("--:" for _ in regions) + "|"]
        lines += [f"| `{base}` | " + " | ".join(cells) + " |" for base, cells in rows]
    else:
        lines.append(f"Not shown: {_md(audit.quotas.reason)}" + (f" (fix: {_md(audit.quotas.hint)})"
                                                                 if audit.quotas.hint else ""))
    lines += ["", summary_line(audit), ""]
    return "\n".join(lines)

