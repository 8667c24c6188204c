"""Config: every bad value is one line naming file, key and fix; precedence flags > env > file > defaults."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import PROJECT, Runner

from vertex_claude_setup import config
from vertex_claude_setup.errors import ConfigError

BAD_CONFIGS = [
    ('project = "demo-project"\ncolour = "blue"\n',
     "Error: vertex-claude.toml: unknown key 'colour'\n  fix: remove it; known keys: "),
    ('project = "demo-project"\nregions = "us-east5"\n',
     "Error: vertex-claude.toml: key 'regions' must be a list of strings, got 'us-east5'\n"
     '  fix: write it as ["a", "b"]\n'),
    ('project = "My Project"\n',
     "Error: vertex-claude.toml: key 'project': 'My Project' is not a valid project ID\n"
     "  fix: use the project ID (6-30 chars: lowercase letters, digits, hyphens; starts with a letter), not the "
     "display name or number\n"),
    ('project = "demo-project"\nregions = ["us-east55"]\n',
     "Error: vertex-claude.toml: key 'regions': region 'us-east55': unknown Vertex AI location; did you mean "
     "'us-east5'?\n"),
    ('project = "demo-project"\nmodels = ["claude-sonnet-4-20250514"]\n',
     "Error: vertex-claude.toml: key 'models': model 'claude-sonnet-4-20250514': Vertex model ids put the date after "
     "'@': use 'claude-sonnet-4@20250514'\n"),
    ('project = "demo-project"\n[logging]\nretention_days = 10\n',
     "Error: vertex-claude.toml: key 'logging.retention_days': retention_days = 10 is below the minimum 30\n"
     "  fix: set retention_days = 30 or more (0 keeps logs forever)\n"),
    ('project = "demo-project"\n[logging]\nsampling_rate = 0\n',
     "Error: vertex-claude.toml: key 'logging.sampling_rate': sampling_rate = 0.0 is outside (0, 1]\n"
     "  fix: use a number greater than 0 and at most 1, e.g. 1.0\n"),
    ('project = "demo-project"\n[logging]\nretention_days = "30"\n',
     "Error: vertex-claude.toml: key 'logging.retention_days' must be an integer, got '30'\n  fix: write it as 30\n"),
    ('project = "demo-project"\n[smoke_test]\nmodel = "claude-3-opus@20240229"\n',
     "Error: vertex-claude.toml: key 'smoke_test.model': model 'claude-3-opus@20240229': model claude-3-opus@20240229 "
     "(Claude Opus 3) is retired since 2026-01-05; use claude-opus-5-5 (claude-opus-4-1@20250805 is deprecated too)\n"),
    ('project = "demo-project"\n[endpoints]\nserviceusage = "serviceusage.googleapis.com"\n',
     "Error: vertex-claude.toml: key 'endpoints.serviceusage': endpoint 'serviceusage.googleapis.com' is not an "
     "http(s) URL\n  fix: write the scheme too, e.g. https://serviceusage.googleapis.com\n"),
    ('project = "demo-project"\nmodels = [\n',
     "Error: vertex-claude.toml: invalid TOML: "),
]


@pytest.mark.parametrize(("text", "expected"), BAD_CONFIGS)
def test_bad_config_is_one_clear_line(run: Runner, config_file: Callable[[str], Path], text: str,
                                      expected: str) -> None:
    config_file(text)
    result = run("plan")
    assert result.code == 1
    assert result.out == ""
    assert result.err.startswith(expected)
    assert "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) <= 2


def test_missing_project_and_missing_file(run: Runner) -> None:
    result = run("plan")
    assert (result.code, result.err) == (1, "Error: no project configured\n  fix: set project = \"my-project\" in "
                                            "vertex-claude.toml, GOOGLE_CLOUD_PROJECT, or --project\n")
    missing = run("--config", "nope.toml", "plan")
    assert missing.code == 1 and missing.err.startswith("Error: config file nope.toml not found")


def test_precedence_flags_env_file_defaults(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('project = "file-project"\nregions = ["europe-west1"]\n[logging]\nretention_days = 60\n')
    env = {"GOOGLE_CLOUD_PROJECT": "env-project", "VERTEX_CLAUDE_LOGGING_RETENTION_DAYS": "90",
           "CLOUD_ML_REGION": "global"}
    cfg = config.load(path, {"project": "flag-project"}, env)
    assert cfg.project == "flag-project"
    assert cfg.logging.retention_days == 90
    assert cfg.regions == ("europe-west1",)
    assert cfg.smoke_test.region == "global"
    assert cfg.logging.sampling_rate == 1.0  # default
    assert config.load(path, {}, env).project == "env-project"
    both = config.load(path, {}, {**env, "VERTEX_CLAUDE_PROJECT": "ours-project"})
    assert both.project == "ours-project"
    assert config.load(path, {}, {}).project == "file-project"


def test_env_errors_name_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        config.load(None, {"project": PROJECT}, {"VERTEX_CLAUDE_LOGGING_RETENTION_DAYS": "ten"})
    assert info.value.one_line() == ("environment VERTEX_CLAUDE_LOGGING_RETENTION_DAYS: 'ten' is not an integer "
                                     "(for key 'logging.retention_days') — fix: set it like "
                                     "VERTEX_CLAUDE_LOGGING_RETENTION_DAYS=30")
    with pytest.raises(ConfigError) as info:
        config.load(None, {"project": PROJECT}, {"VERTEX_CLAUDE_REGIONS": "us-east5,mars-north1"})
    assert info.value.message.startswith("environment VERTEX_CLAUDE_REGIONS: region 'mars-north1'")


def test_flag_errors_name_the_flag() -> None:
    with pytest.raises(ConfigError) as info:
        config.load(None, {"project": "X"}, {})
    assert info.value.message == "flag --project: 'X' is not a valid project ID"


def test_defaults_are_the_recommended_models() -> None:
    from vertex_claude_setup import catalog

    cfg = config.load(None, {"project": PROJECT}, {})
    assert list(cfg.models) == catalog.recommended_models()
    assert cfg.regions == ("us-east5", "global")
    assert cfg.logging.retention_days == 30 and cfg.smoke_test.prompt == "Hey Claude!"


def test_init_writes_a_config_that_validates(run: Runner, tmp_path: Path) -> None:
    result = run("init", "--project", PROJECT)
    assert (result.code, result.out) == (0, f"Wrote vertex-claude.toml for project {PROJECT}. "
                                            "Next: vertex-claude-setup plan\n")
    cfg = config.load(tmp_path / "vertex-claude.toml", {}, {})
    assert cfg.project == PROJECT and cfg.source.endswith("vertex-claude.toml")
    text = (tmp_path / "vertex-claude.toml").read_text()
    assert text.count("#") > 20  # commented
    again = run("init", "--project", PROJECT)
    assert again.code == 1 and "already exists: pass --force" in again.err
    assert run("init", "--project", PROJECT, "--force").code == 0


def test_init_without_project_and_no_terminal(run: Runner) -> None:
    result = run("init")
    assert result.code == 1 and "no project given: pass --project PROJECT" in result.err


def test_digest_ignores_file_location(tmp_path: Path) -> None:
    a = tmp_path / "a.toml"
    b = tmp_path / "b.toml"
    for p in (a, b):
        p.write_text(f'project = "{PROJECT}"\n')
    assert config.load(a, {}, {}).digest() == config.load(b, {}, {}).digest()
    assert config.load(a, {}, {}).digest() != config.load(a, {"project": "other-project"}, {}).digest()


def test_model_garden_enable_is_off_by_default_and_opt_in(tmp_path: Path) -> None:
    assert config.load(None, {"project": PROJECT}, environ={}).model_garden.enable is False
    path = tmp_path / "mg.toml"
    path.write_text(f'project = "{PROJECT}"\n[model_garden]\nenable = true\n', encoding="utf-8")
    assert config.load(path, environ={}).model_garden.enable is True
    env = {"VERTEX_CLAUDE_MODEL_GARDEN_ENABLE": "true"}
    assert config.load(None, {"project": PROJECT}, environ=env).model_garden.enable is True
    path.write_text(f'project = "{PROJECT}"\n[model_garden]\nenabled = true\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        config.load(path, environ={})
    assert (caught.value.message, caught.value.hint) == (f"{path}: unknown key 'model_garden.enabled'",
                                                         "rename it to 'enable'")
