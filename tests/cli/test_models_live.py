"""``models --live``: Model Garden's list merged with the bundled catalog, cached 24 h (0600), used by validation."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import PROJECT, Runner

NEW = "claude-haiku-4-5@20260301"
SCENARIO: dict[str, Any] = {"model_garden": {"extra_models": [{"id": NEW, "launch_stage": "PUBLIC_PREVIEW"}],
                                             "withdrawn": ["claude-sonnet-4@20250514"]}}
CONFIG = f"""\
project = "{PROJECT}"
regions = ["us-east5"]
models = ["{NEW}"]

[logging]
enabled = false
audit_logs = false

[smoke_test]
enabled = false
"""


def _live(run: Runner, *args: str) -> dict[str, Any]:
    result = run("--emulator", *args, "--project", PROJECT, "models", "--live", "--format", "json")
    assert result.code == 0, result.err
    return dict(json.loads(result.out))


def test_live_rows_new_gone_and_lifecycle_from_both(run: Runner, scenario: Callable[[dict[str, Any]], Path],
                                                    tmp_path: Path) -> None:
    first = _live(run, "--scenario", str(scenario(SCENARIO)))
    rows = {r["id"]: r for r in first["models"]}
    assert rows[NEW]["source"] == "new in Model Garden" and not rows[NEW]["in_catalog"]
    assert rows[NEW]["model_garden"] == {"model": "claude-haiku-4-5", "version_id": "20260301",
                                         "launch_stage": "PUBLIC_PREVIEW", "version_state": "VERSION_STATE_STABLE"}
    assert rows[NEW]["family"] == "haiku"
    gone = rows["claude-sonnet-4@20250514"]
    assert (gone["source"], gone["status"], gone["model_garden"]) == ("not listed in Model Garden", "deprecated", None)
    both = rows["claude-sonnet-4-5@20250929"]
    assert (both["status"], both["model_garden"]["launch_stage"]) == ("active", "GA")
    assert first["live"]["from_cache"] is False
    cache = tmp_path / ".vertex-claude" / "model-garden-cache.json"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert _live(run)["live"]["from_cache"] is True
    again = run("--emulator", "--project", PROJECT, "models", "--live", "--refresh", "--format", "json")
    assert json.loads(again.out)["live"]["from_cache"] is False
    table = run("--emulator", "--project", PROJECT, "models", "--live")
    assert f"{NEW} (new)" in table.out and "not listed" in table.out
    assert "1 new in Model Garden" in table.out


def test_refresh_needs_live(run: Runner) -> None:
    result = run("models", "--refresh")
    assert result.code == 1 and "--refresh reads Model Garden again: pass it with --live" in result.err


def test_a_model_only_model_garden_knows_passes_validation_once_read(
        run: Runner, scenario: Callable[[dict[str, Any]], Path], config_file: Callable[[str], Path]) -> None:
    config_file(CONFIG)
    before = run("--emulator", "--scenario", str(scenario(SCENARIO)), "plan")
    assert before.code == 1
    assert before.err == (f"Error: vertex-claude.toml: key 'models': model '{NEW}': not in the catalog; did you mean "
                          "'claude-haiku-4-5@20251001'?\n  fix: if it is newer than this catalog, "
                          "`vertex-claude-setup models --live` reads Model Garden's list\n")
    assert run("--emulator", "models", "--live").code == 0
    after = run("--emulator", "apply", "--auto-approve")
    assert after.code == 0, after.err
    assert "all 1 configured (model, region) pairs are available" in after.out


def test_plan_reads_an_expired_list_again_and_keeps_a_fresh_one(
        run: Runner, scenario: Callable[[dict[str, Any]], Path], config_file: Callable[[str], Path],
        tmp_path: Path) -> None:
    config_file(CONFIG)
    assert run("--emulator", "--scenario", str(scenario(SCENARIO)), "models", "--live").code == 0
    cache = tmp_path / ".vertex-claude" / "model-garden-cache.json"

    def read_at() -> float:
        return float(json.loads(cache.read_text())["scopes"]["emulator"]["read_at"])

    fresh = read_at()
    assert run("--emulator", "plan").code == 0
    assert read_at() == fresh  # fresh: not read again
    data = json.loads(cache.read_text())
    data["scopes"]["emulator"]["read_at"] = time.time() - 25 * 3600
    cache.write_text(json.dumps(data))
    assert run("--emulator", "plan").code == 0
    assert read_at() > fresh


IMPORTED = """\
import sys
from vertex_claude_setup.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print("MODEL_GARDEN_CLIENT", "google.cloud.aiplatform_v1beta1" in sys.modules, code)
"""


def _imports_model_garden(cwd: Path, *args: str) -> tuple[bool, str]:
    out = subprocess.run([sys.executable, "-c", IMPORTED, "--emulator", *args], cwd=cwd, capture_output=True,
                         text=True, check=True, env={**__import__("os").environ, "VERTEX_CLAUDE_RETRY_DEADLINE": "2"})
    last = out.stdout.strip().splitlines()[-1].split()
    return last[1] == "True", last[2]


def test_a_fresh_model_garden_cache_keeps_its_client_out_of_plan_and_audit(
        run: Runner, scenario: Callable[[dict[str, Any]], Path], config_file: Callable[[str], Path],
        tmp_path: Path) -> None:
    config_file(CONFIG)
    assert run("--emulator", "--scenario", str(scenario(SCENARIO)), "models", "--live").code == 0
    assert run("--emulator", "apply", "--auto-approve").code == 0
    assert _imports_model_garden(tmp_path, "plan") == (False, "0")
    assert _imports_model_garden(tmp_path, "regions", "audit", "--no-quotas") == (False, "0")
    cache = tmp_path / ".vertex-claude" / "model-garden-cache.json"
    data = json.loads(cache.read_text())
    data["scopes"]["emulator"]["read_at"] = time.time() - 25 * 3600
    cache.write_text(json.dumps(data))
    assert _imports_model_garden(tmp_path, "plan") == (True, "0")  # expired: read again, client imported
