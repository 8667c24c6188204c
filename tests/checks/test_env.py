"""env: every format parsed back (sh via bash, fish, dotenv, json); overrides only where a model needs one."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from vertex_claude_setup.emulator import Emulator

from .conftest import Run, write_config

Runner = Callable[..., Run]
Start = Callable[[dict[str, Any]], Emulator]
MODELS = ["claude-opus-4-7", "claude-sonnet-4-6", "claude-haiku-4-5@20251001"]
EXPECTED = {
    "CLAUDE_CODE_USE_VERTEX": "1",
    "CLOUD_ML_REGION": "us-east5",
    "ANTHROPIC_VERTEX_PROJECT_ID": "demo-project",
    "ANTHROPIC_MODEL": "claude-opus-4-7",
    "ANTHROPIC_DEFAULT_OPUS_MODEL": "claude-opus-4-7",
    "ANTHROPIC_DEFAULT_SONNET_MODEL": "claude-sonnet-4-6",
    "ANTHROPIC_DEFAULT_HAIKU_MODEL": "claude-haiku-4-5@20251001",
    # Opus 4.7 is served on global/multi-regions only: the one override needed.
    "VERTEX_REGION_CLAUDE_4_7_OPUS": "global",
}


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    return write_config(tmp_path / "vertex-claude.toml", models=MODELS)


@pytest.fixture
def api_on(emulator: Start) -> Emulator:
    return emulator({"projects": {"demo-project": {"enabled_services": ["aiplatform.googleapis.com"]}}})


def _sh(text: str) -> dict[str, str]:
    """Evaluate the sh output in a clean bash and read the variables back."""
    proc = subprocess.run(["bash", "-c", text + "\nenv -0"], env={"PATH": os.environ["PATH"]}, check=True,
                          capture_output=True, text=True)
    pairs = (item.split("=", 1) for item in proc.stdout.split("\0") if "=" in item)
    return {k: v for k, v in pairs if k in EXPECTED or k.startswith(("VERTEX_REGION_", "ANTHROPIC_", "CLOUD_ML"))}


def _dotenv(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition("=")
        if value.startswith('"'):
            value = json.loads(value)
        out[key] = value
    return out


def _fish(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = re.fullmatch(r"set -gx (\w+) '((?:[^'\\]|\\.)*)'", line)
        assert match, line
        out[match.group(1)] = re.sub(r"\\(.)", r"\1", match.group(2))
    return out


def test_sh_output_evaluates_in_bash(api_on: Emulator, run: Runner, cfg: Path) -> None:
    result = run("env", config=cfg)
    assert result.code == 0, result.err
    assert _sh(result.out) == EXPECTED
    assert [k.removeprefix("export ") for k in _dotenv(result.out)] == list(EXPECTED)  # stable, readable order
    assert result.out.startswith("# vertex-claude-setup env --for claude-code: project demo-project\n"
                                 "# availability from count-tokens probe (no complete audit cache)\n")


@pytest.mark.parametrize(("fmt", "parse"), [("dotenv", _dotenv), ("json", json.loads), ("fish", _fish)])
def test_every_format_parses_back(api_on: Emulator, run: Runner, cfg: Path, fmt: str,
                                  parse: Callable[[str], dict[str, str]]) -> None:
    result = run("env", "--format", fmt, config=cfg)
    assert result.code == 0, result.err
    assert parse(result.out) == EXPECTED


def test_no_override_when_every_model_is_served_in_the_chosen_region(api_on: Emulator, run: Runner,
                                                                      cfg: Path) -> None:
    result = run("env", "--format", "json", "--region", "global", config=cfg)
    values = json.loads(result.out)
    assert values["CLOUD_ML_REGION"] == "global"
    assert not [k for k in values if k.startswith("VERTEX_REGION_")]


def test_sdk_gets_only_what_the_sdk_reads(api_on: Emulator, run: Runner, cfg: Path) -> None:
    result = run("env", "--for", "sdk", "--format", "json", config=cfg)
    assert json.loads(result.out) == {"CLOUD_ML_REGION": "us-east5", "ANTHROPIC_VERTEX_PROJECT_ID": "demo-project"}
    assert not [r for r in api_on.requests if "publishers/anthropic" in r.path]  # no probe needed


def test_gateway_endpoint_becomes_the_vertex_base_url(api_on: Emulator, run: Runner, tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "gw.toml", models=MODELS,
                       extra='[endpoints]\nclaude = "https://gateway.example.com/vertex/v1"\n')
    values = _sh(run("env", "--for", "sdk", config=cfg).out)
    assert values["ANTHROPIC_VERTEX_BASE_URL"] == "https://gateway.example.com/vertex/v1"


def _claude_calls(emu: Emulator) -> int:
    return len([r for r in emu.requests if "publishers/anthropic" in r.path])


@pytest.fixture
def audited(emulator: Start, run: Runner, cfg: Path) -> Emulator:
    """A real `regions audit` has filled the cache; Sonnet 4.6 is (per this project) not served in us-east5."""
    emu = emulator({"projects": {"demo-project": {
        "enabled_services": ["aiplatform.googleapis.com"],
        "availability": {"claude-sonnet-4-6|us-east5": "NOT_SERVABLE_IN_REGION"}}}})
    result = run("regions", "audit", "--no-quotas", config=cfg)
    assert result.code == 3, result.err  # opus-4-7 and sonnet-4-6 are not served in us-east5
    assert _claude_calls(emu) == 6
    return emu


def test_the_audit_cache_is_used_when_present(audited: Emulator, run: Runner, cfg: Path) -> None:
    cache = cfg.parent / ".vertex-claude" / "audit-cache.json"
    result = run("env", "--format", "json", config=cfg)
    assert result.code == 0, result.err
    values = json.loads(result.out)
    assert values["VERTEX_REGION_CLAUDE_4_6_SONNET"] == "global"  # the audit knows better than the hints
    assert values["VERTEX_REGION_CLAUDE_4_7_OPUS"] == "global"
    assert "VERTEX_REGION_CLAUDE_HAIKU_4_5" not in values
    assert _claude_calls(audited) == 6  # the cache answered: no probe
    sh = run("env", config=cfg).out
    assert f"# availability from audit cache {cache}\n" in sh
    assert _claude_calls(audited) == 6


def test_an_expired_audit_cache_is_probed_again(audited: Emulator, run: Runner, cfg: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERTEX_CLAUDE_AUDIT_CACHE_TTL", "0")
    result = run("env", config=cfg)
    assert "# availability from count-tokens probe (no complete audit cache)\n" in result.out
    assert _claude_calls(audited) == 12


def test_a_partial_audit_cache_is_completed_by_a_probe(audited: Emulator, run: Runner, tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "more.toml", models=[*MODELS, "claude-sonnet-4-5@20250929"])
    result = run("env", "--format", "json", config=cfg)
    assert _claude_calls(audited) == 8  # only the two pairs the audit did not cover
    assert json.loads(result.out)["VERTEX_REGION_CLAUDE_4_6_SONNET"] == "global"
    sh = run("env", config=cfg).out
    assert f"# availability from audit cache {tmp_path / '.vertex-claude' / 'audit-cache.json'}\n" in sh
    assert _claude_calls(audited) == 8  # the probe's answers were cached too


def test_emulator_results_never_answer_for_real_google(audited: Emulator, cfg: Path) -> None:
    from vertex_claude_setup import config
    from vertex_claude_setup.checks import env
    from vertex_claude_setup.gcp.session import EmulatorTarget, GoogleApis

    loaded = config.load(cfg, {}, environ={})
    pairs = [(m, r) for m in loaded.models for r in loaded.regions]
    host, port = audited.address
    emulated = GoogleApis(loaded, EmulatorTarget(http=f"http://{host}:{port}", grpc=audited.grpc_target))
    assert len(env.read_audit_cache(emulated, pairs)) == 6
    assert env.read_audit_cache(GoogleApis(loaded), pairs) == {}  # real Google: a different cache scope


def test_models_served_nowhere_are_left_out_with_a_note(emulator: Start, run: Runner, cfg: Path) -> None:
    emulator({"projects": {"demo-project": {"enabled_services": ["aiplatform.googleapis.com"]}},
              "availability": {"overrides": {"claude-haiku-4-5@20251001|*": "NOT_SERVABLE_IN_REGION"}}})
    result = run("env", "--format", "json", config=cfg)
    assert result.code == 0
    values = json.loads(result.out)
    assert "ANTHROPIC_DEFAULT_HAIKU_MODEL" not in values
    assert result.err == ("note: claude-haiku-4-5@20251001 is not served in any configured region "
                          "(us-east5, global); left out\n")


@pytest.mark.parametrize(("model", "variable"), [
    ("claude-opus-5-5", "VERTEX_REGION_CLAUDE_5_5_OPUS"), ("claude-sonnet-5-5", "VERTEX_REGION_CLAUDE_5_5_SONNET"),
    ("claude-haiku-5-5", "VERTEX_REGION_CLAUDE_HAIKU_5_5")])
def test_the_newest_models_are_pinned_with_claude_codes_own_variable(api_on: Emulator, run: Runner, tmp_path: Path,
                                                                    model: str, variable: str) -> None:
    """Claude Code 2.1.332 reads one VERTEX_REGION_* per model prefix; these had none in the catalog (nor had
    Fable 5.1/5.2, which the emulator serves only with data sharing: see tests/scripts)."""
    cfg = write_config(tmp_path / "new.toml", models=["claude-sonnet-4-6", model])
    result = run("env", "--format", "json", config=cfg)
    values = json.loads(result.out)
    assert values[variable] == "global"  # served on global only; the chosen region is us-east5
    assert result.err == ""


def test_a_disabled_api_is_reported_not_guessed(emulator: Start, run: Runner, cfg: Path) -> None:
    emulator({})
    result = run("env", "--format", "json", config=cfg)
    values = json.loads(result.out)
    assert "ANTHROPIC_MODEL" not in values and values["CLAUDE_CODE_USE_VERTEX"] == "1"
    assert "note: claude-opus-4-7 in us-east5: API_DISABLED; left out" in result.err
    assert "note: no configured model is usable: ANTHROPIC_MODEL not set" in result.err


def test_a_region_outside_the_configured_ones_is_probed(api_on: Emulator, run: Runner, cfg: Path) -> None:
    # europe-west1 is not in `regions` (us-east5, global); Sonnet 4.6 and Haiku 4.5 are served there, Opus 4.7
    # only on global: the handed-out variables rest on what europe-west1 answered, not on "unknown".
    result = run("env", "--region", "europe-west1", "--format", "json", config=cfg)
    assert result.code == 0, result.err
    assert "UNKNOWN" not in result.err
    values = json.loads(result.out)
    assert values["CLOUD_ML_REGION"] == "europe-west1"
    assert values["ANTHROPIC_MODEL"] == "claude-opus-4-7"
    assert values["ANTHROPIC_DEFAULT_SONNET_MODEL"] == "claude-sonnet-4-6"
    assert values["ANTHROPIC_DEFAULT_HAIKU_MODEL"] == "claude-haiku-4-5@20251001"
    assert values["VERTEX_REGION_CLAUDE_4_7_OPUS"] == "global"
    header = run("env", "--region", "europe-west1", config=cfg).out.splitlines()[1]
    assert header.startswith("# availability from audit cache ")  # the first run's probe answers were cached
