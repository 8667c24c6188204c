"""A fleet report as one self-contained HTML file: sortable, filterable, no external assets.

Click a column title to sort by it (again to reverse; numbers sort as numbers). Type in the filter
box to keep the rows whose text contains it; pick a status to keep only those. ``#shown`` says how
many rows are left. Each project's checks are in its row, folded.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from .fleet import aggregate_lines, cell, exit_line, request_lines, summary_line

if TYPE_CHECKING:
    from vertex_claude_setup.fleet.report import FleetReport, ProjectResult

_CSS = """
body{font:14px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
 margin:2rem auto;max-width:1400px;padding:0 1rem;color:#1f2328;background:#fff}
h1{font-size:1.5rem;margin:0 0 .25rem} h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
.meta{color:#59636e;margin-bottom:1rem} code{font:12.5px ui-monospace,SFMono-Regular,Menlo,monospace}
table{border-collapse:collapse;margin:.5rem 0;width:100%} th,td{border:1px solid #d1d9e0;padding:.3rem .55rem;
 vertical-align:top;text-align:left} th{background:#f6f8fa;cursor:pointer;white-space:nowrap;user-select:none}
th[aria-sort=ascending]::after{content:" ▲"} th[aria-sort=descending]::after{content:" ▼"}
td.num{text-align:right} tr.s-ok td.status{color:#116329} tr.s-findings td.status{color:#9a6700}
tr.s-error td.status{color:#a40e26} tr.s-skipped td.status{color:#59636e}
.controls{display:flex;gap:1rem;align-items:center;margin:.75rem 0} #filter{padding:.3rem .5rem;width:22rem}
details summary{cursor:pointer;color:#0969da} ul.checks{margin:.3rem 0;padding-left:1.1rem}
.c-FAIL{color:#a40e26} .c-WARN{color:#9a6700} .c-PASS{color:#116329} .c-CHANGE{color:#0969da}
.fix{color:#1a7f37}
"""

_JS = """
(function () {
  var table = document.getElementById('projects');
  var body = table.tBodies[0];
  var filter = document.getElementById('filter');
  var status = document.getElementById('status');
  var shown = document.getElementById('shown');
  function value(row, index) {
    var c = row.cells[index];
    var raw = c.getAttribute('data-sort');
    if (raw === null) { raw = c.textContent.trim(); }
    var n = parseFloat(raw);
    return (raw !== '' && !isNaN(n) && isFinite(raw)) ? n : raw.toLowerCase();
  }
  function sortBy(th) {
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var ascending = th.getAttribute('aria-sort') !== 'ascending';
    Array.prototype.forEach.call(th.parentNode.children, function (h) { h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = value(a, index), y = value(b, index);
      if (typeof x !== typeof y) { x = String(x); y = String(y); }
      var order = x < y ? -1 : x > y ? 1 : 0;
      return ascending ? order : -order;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  function apply() {
    var text = filter.value.trim().toLowerCase();
    var wanted = status.value;
    var count = 0;
    Array.prototype.forEach.call(body.rows, function (r) {
      var keep = (!wanted || r.getAttribute('data-status') === wanted) &&
                 (!text || r.textContent.toLowerCase().indexOf(text) !== -1);
      r.hidden = !keep;
      if (keep) { count += 1; }
    });
    shown.textContent = count + ' of ' + body.rows.length + ' shown';
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
    th.addEventListener('click', function () { sortBy(th); });
  });
  filter.addEventListener('input', apply);
  status.addEventListener('change', apply);
  apply();
}());
"""


def _checks(row: ProjectResult) -> str:
    if not row.checks and not row.error:
        return ""
    items = []
    if row.error:
        items.append(f'<li class="c-FAIL">{escape(row.error)}'
                     + (f' <span class="fix">fix: {escape(row.hint)}</span>' if row.hint else "") + "</li>")
    for check in row.checks:
        fix = f' <span class="fix">fix: {escape(check.fix)}</span>' if check.fix and check.status != "PASS" else ""
        items.append(f'<li class="c-{check.status}"><b>{check.status}</b> {escape(check.name)}: '
                     f"{escape(check.message)}{fix}</li>")
    return f'<details><summary>{len(row.checks)} checks</summary><ul class="checks">{"".join(items)}</ul></details>'


def _row(report: FleetReport, row: ProjectResult) -> str:
    cells = [f'<td><code>{escape(row.project)}</code></td>', f'<td class="status">{row.status}</td>']
    for key, _title in report.columns:
        value = row.fields.get(key)
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        sort = f' data-sort="{value}"' if numeric else ""
        cells.append(f'<td{" class=num" if numeric else ""}{sort}>{escape(cell(value))}</td>')
    labels = ", ".join(f"{k}={v}" for k, v in sorted(row.labels.items()))
    cells += [f"<td>{escape(row.summary)}{_checks(row)}</td>", f"<td>{escape(row.parent)}</td>",
              f"<td>{escape(labels)}</td>"]
    return f'<tr class="s-{row.status}" data-status="{row.status}">{"".join(cells)}</tr>'


def render_html(report: FleetReport) -> str:
    data = report.to_json()
    heads = ["project", "status", *(title for _k, title in report.columns), "summary", "parent", "labels"]
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>Fleet {escape(report.command)}</title>", f"<style>{_CSS}</style>", "</head><body>",
             f"<h1>Claude on Vertex AI: fleet {escape(report.command)}</h1>",
             f'<div class="meta">generated {escape(data["generated_at"])} · vertex-claude-setup '
             f'{escape(data["tool"]["version"])}</div>',
             f'<p id="summary"><b>{escape(summary_line(report))}</b></p>',
             '<ul id="aggregates">', *(f"<li>{escape(line)}</li>" for line in aggregate_lines(report)), "</ul>",
             '<div class="controls"><input id="filter" type="search" placeholder="filter: project, label, text…" '
             'aria-label="filter rows"><select id="status" aria-label="status"><option value="">every status</option>',
             *(f'<option value="{s}">{s}</option>' for s in ("ok", "findings", "error", "skipped")),
             '</select><span id="shown"></span></div>',
             '<table id="projects"><thead><tr>',
             *(f'<th data-key="{escape(h)}">{escape(h)}</th>' for h in heads), "</tr></thead><tbody>",
             *(_row(report, row) for row in report.rows)]
    blank = "".join("<td></td>" for _ in report.columns)
    for item in report.skipped:
        parts.append(f'<tr class="s-skipped" data-status="skipped"><td><code>{escape(item.project)}</code></td>'
                     f'<td class="status">skipped</td>{blank}<td>{escape(item.reason)}</td><td></td><td></td></tr>')
    parts.append("</tbody></table>")
    not_read = report.not_read()
    if not_read:
        parts.append(f'<h2>Could not be read or run ({len(not_read)})</h2><ul id="not-read">')
        parts += [f"<li><code>{escape(u.name)}</code>: {escape(u.message)}"
                  + (f' <span class="fix">fix: {escape(u.fix)}</span>' if u.fix else "") + "</li>" for u in not_read]
        parts.append("</ul>")
    if report.usage:
        parts.append('<h2>Requests</h2><ul id="requests">')
        parts += [f"<li>{escape(line)}</li>" for line in request_lines(report)]
        parts.append("</ul>")
    parts += [f'<p class="meta">{escape(exit_line(report))}</p>', f"<script>{_JS}</script>", "</body></html>"]
    return "\n".join(parts) + "\n"
