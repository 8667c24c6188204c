"""scripts/claude_code_sync.py: the table and variables it extracts from a bundle, and the differences it prints."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "claude_code_sync.py"
# A slice of a real bundle's shape: a registry of variables, a process.env read, and the prefix table.
BUNDLE = (b'x={ANTHROPIC_DEFAULT_OPUS_MODEL:()=>tl,CLOUD_ML_REGION:()=>zz};function f(){return process.env.'
          b'CLAUDE_CODE_USE_VERTEX}var T=[["claude-3-5-sonnet","VERTEX_REGION_CLAUDE_3_5_SONNET"],'
          b'["claude-sonnet-4-5","VERTEX_REGION_CLAUDE_4_5_SONNET"],["claude-opus-5-5","VERTEX_REGION_CLAUDE_5_5_OPUS"],'
          b'["claude-sonnet-4","VERTEX_REGION_CLAUDE_4_0_SONNET"],["claude-opus-5","VERTEX_REGION_CLAUDE_5_OPUS"]];'
          b'var U=[["claude-x","VERTEX_REGION_X"]];')


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("claude_code_sync", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_longest_prefix_table_is_extracted_in_order() -> None:
    table = _script().region_table(BUNDLE)
    assert [p for p, _ in table] == ["claude-3-5-sonnet", "claude-sonnet-4-5", "claude-opus-5-5", "claude-sonnet-4",
                                     "claude-opus-5"]


def test_first_matching_prefix_wins_like_claude_code() -> None:
    sync = _script()
    table = sync.region_table(BUNDLE)
    assert sync.variable_for("claude-opus-5-5", table) == "VERTEX_REGION_CLAUDE_5_5_OPUS"
    assert sync.variable_for("claude-opus-5", table) == "VERTEX_REGION_CLAUDE_5_OPUS"
    assert sync.variable_for("claude-sonnet-4@20250514", table) == "VERTEX_REGION_CLAUDE_4_0_SONNET"
    assert sync.variable_for("claude-3-5-sonnet-v2@20241022", table) == "VERTEX_REGION_CLAUDE_3_5_SONNET"
    assert sync.variable_for("claude-3-haiku@20240307", table) is None


def test_differences_name_the_model_and_both_variables() -> None:
    sync = _script()
    table = sync.region_table(BUNDLE)
    models = [{"id": "claude-opus-5-5", "claude_code_region_env": None},
              {"id": "claude-opus-5", "claude_code_region_env": "VERTEX_REGION_CLAUDE_5_OPUS"}]
    assert sync.catalog_differences(models, table) == [
        "claude-opus-5-5: catalog (none) -> Claude Code VERTEX_REGION_CLAUDE_5_5_OPUS"]


def test_variables_env_emits_but_the_release_no_longer_mentions_are_reported() -> None:
    sync = _script()
    read = sync.vars_read(BUNDLE)
    assert {"ANTHROPIC_DEFAULT_OPUS_MODEL", "CLOUD_ML_REGION", "CLAUDE_CODE_USE_VERTEX"} <= read
    assert sync.env_differences({"CLOUD_ML_REGION", "ANTHROPIC_VERTEX_PROJECT_ID"}, read) == [
        "env emits ANTHROPIC_VERTEX_PROJECT_ID, which this Claude Code release does not read"]


def test_the_bundled_catalog_is_in_step_with_the_release_it_names() -> None:
    """The catalog records the Claude Code version it was checked against; every active model has a variable."""
    sync = _script()
    data = json.loads(sync.CATALOG.read_text(encoding="utf-8"))
    assert data["claude_code"]["version"] == "2.1.332"
    by_id = {m["id"]: m["claude_code_region_env"] for m in data["models"]}
    assert by_id["claude-fable-5-1"] == "VERTEX_REGION_CLAUDE_FABLE_5_1"
    assert by_id["claude-fable-5-2"] == "VERTEX_REGION_CLAUDE_FABLE_5_2"
    names = {m["claude_code_region_env"] for m in data["models"] if m["claude_code_region_env"]}
    assert len(names) == 21  # the release's 21 prefixes (two 3.5 Sonnet ids share one variable)
