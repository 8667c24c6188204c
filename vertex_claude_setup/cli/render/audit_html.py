"""A self-contained HTML report of an ``Audit``: inline CSS, no scripts, no external assets.

One file a user can mail or attach to a ticket; every cell's tooltip carries the class, Google's
status and message, and the fix.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from vertex_claude_setup import catalog
from vertex_claude_setup.availability.audit import SYMBOLS
from vertex_claude_setup.availability.classify import Availability

from .audit import generate_note, legend_items, mark, problems, quota_rows, summary_line

if TYPE_CHECKING:
    from vertex_claude_setup.availability.audit import Audit

_CSS = """
body{font:14px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
 margin:2rem auto;max-width:1200px;padding:0 1rem;color:#1f2328;background:#fff}
h1{font-size:1.5rem;margin:0 0 .25rem} h2{font-size:1.1rem;margin:1.75rem 0 .5rem}
.meta{color:#59636e;margin-bottom:1rem} code{font:12.5px ui-monospace,SFMono-Regular,Menlo,monospace}
table{border-collapse:collapse;margin:.25rem 0} th,td{border:1px solid #d1d9e0;padding:.35rem .6rem}
th{background:#f6f8fa;font-weight:600;white-space:nowrap} td.model{white-space:nowrap}
td.cell{text-align:center;font-size:1.05rem;min-width:2.2rem} td.num{text-align:right}
.c-AVAILABLE{background:#dafbe1;color:#116329} .c-NOT_SERVABLE_IN_REGION{background:#f6f8fa;color:#818b98}
.c-NOT_ENABLED,.c-DATA_SHARING_REQUIRED,.c-QUOTA_EXHAUSTED{background:#fff8c5;color:#7d4e00}
.c-NOT_FOUND_OR_NO_ACCESS{background:#fbefff;color:#8250df}
.c-PERMISSION_DENIED,.c-ORG_POLICY_BLOCKED,.c-API_DISABLED,.c-BILLING_DISABLED,.c-ERROR{background:#ffebe9;color:#a40e26}
.legend{display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;padding:0;list-style:none}
.legend span.sym{display:inline-block;width:1.6rem;text-align:center;border-radius:4px;margin-right:.3rem}
ul.problems li{margin:.45rem 0} .fix{color:#1a7f37} .said{color:#59636e}
.summary{font-weight:600;margin-top:1.5rem} .status{color:#9a6700;font-size:12px}
"""


def _cell(audit: Audit, model: str, region: str) -> str:
    result = audit.result(model, region)
    cls = result.availability
    tip = f"{model} in {region}: {cls.value} — {audit.explanation(result)}"
    if cls is not Availability.AVAILABLE:
        tip += f"\nHTTP {result.verdict.http_status} {result.verdict.status}: {result.verdict.message}"
        tip += f"\nfix: {result.verdict.fix}"
    elif result.latency_ms is not None:
        tip += f" ({result.latency_ms:.0f} ms)"
    if mark(audit, result):
        tip += "\nprobed with a 1-token generate request (count-tokens is not served there)"
    return (f'<td class="cell c-{cls.value}" title="{escape(tip)}" data-model="{escape(model)}" '
            f'data-region="{escape(region)}" data-class="{cls.value}" data-probe="{audit.probed_by(result)}">'
            f"{escape(SYMBOLS[cls] + mark(audit, result))}</td>")


def render_html(audit: Audit) -> str:
    data = audit.to_json()
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>Claude availability: {escape(audit.project)}</title>", f"<style>{_CSS}</style>",
             "</head><body>",
             f"<h1>Claude on Vertex AI: availability for <code>{escape(audit.project)}</code></h1>",
             f'<div class="meta">Probe {escape(audit.probe.replace("_", "-"))} · generated '
             f"{escape(data['generated_at'])} · vertex-claude-setup {escape(data['tool']['version'])}</div>",
             '<table id="matrix"><thead><tr><th>model</th>']
    parts += [f"<th>{escape(region)}</th>" for region in audit.regions]
    parts.append("</tr></thead><tbody>")
    for model in audit.models:
        info = catalog.models().get(model)
        status = (f' <span class="status">{escape(info.status_text())}</span>'
                  if info is not None and info.status() != "active" else "")
        parts.append(f'<tr><td class="model"><code>{escape(model)}</code>{status}</td>')
        parts += [_cell(audit, model, region) for region in audit.regions]
        parts.append("</tr>")
    parts.append('</tbody></table><ul class="legend" id="legend">')
    for cls, sym, meaning in legend_items():
        parts.append(f'<li><span class="sym c-{cls.value}">{escape(sym)}</span><b>{cls.value}</b> '
                     f"{escape(meaning)}</li>")
    parts.append("</ul>")
    if generate_note(audit):
        parts.append(f'<p id="probe-note">{escape(generate_note(audit))}</p>')
    found = problems(audit)
    if found:
        parts.append('<h2>Not available</h2><ul class="problems" id="problems">')
        for problem in found:
            parts.append(f"<li><code>{escape(problem.model)}</code> in {escape(', '.join(problem.regions))}: "
                         f"<b>{problem.availability.value}</b> — {escape(problem.explanation)}")
            if problem.fix:
                parts.append(f'<br><span class="fix">fix: {escape(problem.fix)}</span>')
            if problem.message:
                parts.append(f'<br><span class="said">Google said: {escape(problem.message)}</span>')
            parts.append("</li>")
        parts.append("</ul>")
    parts.append("<h2>Quota: requests per minute per base model</h2>")
    if audit.quotas.readable:
        regions, rows = quota_rows(audit)
        parts.append('<table id="quotas"><thead><tr><th>base model</th>')
        parts += [f"<th>{escape(region)}</th>" for region in regions]
        parts.append("</tr></thead><tbody>")
        for base, cells in rows:
            parts.append(f"<tr><td><code>{escape(base)}</code></td>"
                         + "".join(f'<td class="num">{escape(c)}</td>' for c in cells) + "</tr>")
        parts.append("</tbody></table>")
    else:
        hint = f" (fix: {escape(audit.quotas.hint)})" if audit.quotas.hint else ""
        parts.append(f"<p>Not shown: {escape(audit.quotas.reason)}{hint}</p>")
    parts.append(f'<p class="summary">{escape(summary_line(audit))}</p></body></html>')
    return "\n".join(parts) + "\n"
