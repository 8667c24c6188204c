"""Helpers of the export tests: the two emulator scenarios, running the export, reading its HCL back."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import hcl2
from logging_support import Env

HERE = Path(__file__).resolve().parent / "export"
GOLDEN = HERE / "golden"
EPOCH = "1767225600"  # 2026-01-01: SOURCE_DATE_EPOCH makes the export's date reproducible
SONNET = "claude-sonnet-4-5@20250929"
HAIKU = "claude-haiku-4-5@20251001"
OPUS = "claude-opus-4-7"  # served in the US and EU multi-regions and global only: not in us-east5
# The configs that go with the scenarios in scenarios/ (docs/terraform.md shows the same ones).
FRESH = {"regions": ["us-east5", "global"], "models": [SONNET]}
EXISTING = {"regions": ["us-east5", "global"], "models": [SONNET, HAIKU, OPUS],
            "extra": "[logging]\nsampling_rate = 0.25\n"}


def scenario(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((HERE / "scenarios" / f"{name}.json").read_text(encoding="utf-8"))
    return data


def export(env: Env, directory: Path) -> tuple[int, str, str]:
    return env.run("export", "terraform", "--dir", str(directory))


def read_dir(directory: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.tf"))}


def check_golden(name: str, directory: Path) -> None:
    """The export in ``directory`` is byte for byte ``golden/<name>`` (UPDATE_GOLDEN_FILES=1 rewrites it)."""
    written = read_dir(directory)
    golden = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN_FILES"):
        golden.mkdir(parents=True, exist_ok=True)
        for old in golden.glob("*.tf"):
            old.unlink()
        for file_name, text in written.items():
            (golden / file_name).write_text(text, encoding="utf-8")
    assert written == read_dir(golden)


def unquote(value: Any) -> Any:
    """python-hcl2 keeps the quotes of string literals and wraps expressions in ``${}``: drop both."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        return value[2:-1]
    if isinstance(value, list):
        return [unquote(v) for v in value]
    if isinstance(value, dict):
        return {unquote(k): unquote(v) for k, v in value.items() if k not in ("__is_block__", "__comments__")}
    return value


def parse(directory: Path) -> dict[str, Any]:
    """Every file parsed with python-hcl2: resources by (type, name), imports by target, check names."""
    resources: dict[tuple[str, str], Any] = {}
    imports: dict[str, str] = {}
    checks: dict[str, Any] = {}
    for text in read_dir(directory).values():
        parsed = unquote(hcl2.loads(text))
        for entry in parsed.get("resource", []):
            for kind, named in entry.items():
                for name, body in named.items():
                    resources[(kind, name)] = body
        for block in parsed.get("import", []):
            imports[block["to"]] = block["id"]
        for entry in parsed.get("check", []):
            checks.update(entry)
    return {"resources": resources, "imports": imports, "checks": checks}
