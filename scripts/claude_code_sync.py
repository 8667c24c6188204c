"""Maintainer script: compare the catalog with what a Claude Code release actually reads (not run by CI).

Claude Code pins a model's Vertex region with one ``VERTEX_REGION_*`` variable per model *prefix*; the
table lives in the CLI's bundle. This script downloads a release's linux-x64 package from the npm registry
(``npm pack``), extracts that table and the Vertex-related environment variables the binary reads, and prints
the differences from the catalog (``claude_code_region_env``) and from what ``vertex-claude-setup env`` emits.

    python scripts/claude_code_sync.py                 # latest release: print the differences
    python scripts/claude_code_sync.py --version 2.1.332 --write   # also update catalog/models.json

Exit 0 when the catalog is in step, 1 when it differs (or the download failed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "@anthropic-ai/claude-code"
BINARY_PACKAGE = "@anthropic-ai/claude-code-linux-x64"
CATALOG = Path(__file__).resolve().parent.parent / "vertex_claude_setup" / "catalog" / "models.json"
# The bundle holds the table as a JS array literal of [prefix, variable] pairs.
TABLE_RE = re.compile(rb'\[\["claude-[^;\]]*?"VERTEX_REGION_[A-Z0-9_]+"\]'
                      rb'(?:,\["claude-[^"]+","VERTEX_REGION_[A-Z0-9_]+"\])*\]')
# Variable names the bundle mentions: its registry of known variables (``NAME:()=>``), ``process.env`` reads
# and help text all spell them out; a name the release no longer mentions is a name it no longer reads.
ENV_RE = re.compile(rb"(?<![A-Za-z0-9_])((?:ANTHROPIC|CLAUDE_CODE|CLOUD_ML|VERTEX)_[A-Z0-9_]*[A-Z0-9])(?![A-Za-z0-9_])")


def region_table(blob: bytes) -> list[tuple[str, str]]:
    """The longest ``[[prefix, VERTEX_REGION_*], ...]`` literal in the bundle, in its order."""
    tables = [json.loads(m.group(0)) for m in TABLE_RE.finditer(blob)]
    if not tables:
        raise ValueError("no [prefix, VERTEX_REGION_*] table found in the binary")
    best = max(tables, key=len)
    return [(str(prefix), str(var)) for prefix, var in best]


def vars_read(blob: bytes) -> set[str]:
    """Vertex-related variable names the bundle mentions."""
    return {m.group(1).decode() for m in ENV_RE.finditer(blob)}


def variable_for(model_id: str, table: list[tuple[str, str]]) -> str | None:
    """What Claude Code picks for ``model_id``: the first prefix in table order that the id starts with."""
    return next((var for prefix, var in table if model_id.startswith(prefix)), None)


def catalog_differences(models: list[dict[str, object]], table: list[tuple[str, str]]) -> list[str]:
    """One line per model whose ``claude_code_region_env`` differs from what Claude Code reads."""
    out = []
    for model in models:
        model_id = str(model["id"])
        want, have = variable_for(model_id, table), model.get("claude_code_region_env")
        if want != have:
            out.append(f"{model_id}: catalog {have or '(none)'} -> Claude Code {want or '(none)'}")
    return out


def env_differences(emitted: set[str], read: set[str]) -> list[str]:
    """Variables ``env`` emits that the release no longer reads (VERTEX_REGION_* are checked per model)."""
    return [f"env emits {name}, which this Claude Code release does not read"
            for name in sorted(emitted - read) if not name.startswith("VERTEX_REGION_")]


def download(version: str, into: Path) -> bytes:
    """``npm pack`` the linux-x64 package and return its ``claude`` binary."""
    subprocess.run(["npm", "pack", f"{BINARY_PACKAGE}@{version}", "--silent"], cwd=into, check=True,
                   stdout=subprocess.DEVNULL)
    tgz = next(into.glob("*.tgz"))
    with tarfile.open(tgz) as tar:
        member = tar.extractfile("package/claude")
        if member is None:
            raise ValueError(f"{tgz.name} has no package/claude")
        return member.read()


def latest_version() -> str:
    out = subprocess.run(["npm", "view", PACKAGE, "version"], check=True, capture_output=True, text=True)
    return out.stdout.strip()


def emitted_by_env() -> set[str]:
    """Every variable ``vertex-claude-setup env --for claude-code`` can emit."""
    sys.path.insert(0, str(CATALOG.parents[2]))
    from vertex_claude_setup.checks import env

    return {"CLAUDE_CODE_USE_VERTEX", "CLOUD_ML_REGION", "ANTHROPIC_VERTEX_PROJECT_ID", "ANTHROPIC_VERTEX_BASE_URL",
            "ANTHROPIC_MODEL", *env.FAMILY_VARS.values()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--version", help="Claude Code version (default: the latest on the npm registry)")
    parser.add_argument("--write", action="store_true", help="update catalog/models.json to match")
    args = parser.parse_args()
    version = args.version or latest_version()
    with tempfile.TemporaryDirectory() as tmp:
        blob = download(version, Path(tmp))
    table = region_table(blob)
    data = json.loads(CATALOG.read_text(encoding="utf-8"))
    print(f"Claude Code {version}: {len(table)} VERTEX_REGION_* prefixes; catalog checked against "
          f"{data.get('claude_code', {}).get('version', '(never)')}")
    lines = catalog_differences(data["models"], table) + env_differences(emitted_by_env(), vars_read(blob))
    for line in lines:
        print(f"  {line}")
    if not lines:
        print("  in step")
    if args.write:
        for model in data["models"]:
            model["claude_code_region_env"] = variable_for(str(model["id"]), table)
        data["claude_code"] = {**data.get("claude_code", {}), "version": version,
                               "checked_on": dt.date.today().isoformat()}
        CATALOG.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"Wrote {CATALOG}")
    return 1 if lines else 0


if __name__ == "__main__":
    raise SystemExit(main())
