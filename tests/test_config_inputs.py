"""Hostile config input: ids with a trailing newline, nesting 5,000 deep, bytes that are not UTF-8, malformed or
cleartext endpoints, junk in VERTEX_CLAUDE_* settings — each one line naming the file, key or variable, exit 1."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import PROJECT, Runner

from vertex_claude_setup import config, envnumbers
from vertex_claude_setup.errors import ConfigError


def _one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert 1 <= len(lines) <= 2 and lines[0].startswith("Error: "), err
    assert "unexpected" not in err and "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(("key", "line", "shown"), [
    ("logging.dataset", '[logging]\ndataset = "claude_logs\\n"', r"dataset 'claude_logs\n' is not a valid BigQuery"),
    ("project", 'project = "other-project\\n"', r"'other-project\n' is not a valid project ID"),
    ("quota_project", f'quota_project = "{PROJECT}\\n"', rf"'{PROJECT}\n' is not a valid project ID"),
    ("impersonate_service_account", 'impersonate_service_account = "sa@demo-project.iam.gserviceaccount.com\\n"',
     r"'sa@demo-project.iam.gserviceaccount.com\n' is not a service account email"),
    ("logging.location", '[logging]\nlocation = "US\\n"', r"location 'US\n' is not a BigQuery location"),
    ("models", 'models = ["claude-sonnet-4-5@20250929\\n"]', r"model 'claude-sonnet-4-5@20250929\n': use a Vertex id"),
    ("regions", 'regions = ["us-east5\\n"]', r"region 'us-east5\n': unknown Vertex AI location"),
    ("smoke_test.model", '[smoke_test]\nmodel = "claude-sonnet-4-5-20250929\\n"',
     r"model 'claude-sonnet-4-5-20250929\n': use a Vertex id"),
])
def test_a_trailing_newline_never_passes_an_id_check(run: Runner, config_file: Callable[[str], Path], key: str,
                                                    line: str, shown: str) -> None:
    """`$` accepts a trailing newline; fullmatch does not. The error shows the value escaped, on one line."""
    head = "" if line.startswith("project") else f'project = "{PROJECT}"\n'
    config_file(head + line + "\n")
    result = run("--emulator", "plan")
    assert (result.code, result.out) == (1, "")
    first = _one_error_line(result.err)
    assert first.startswith(f"Error: vertex-claude.toml: key '{key}': ")
    assert shown in first
    assert not Path(".vertex-claude/emulator-state.json").exists()  # refused before any (emulated) call


def test_a_quota_project_with_a_newline_never_reaches_a_header(run: Runner) -> None:
    result = run("--project", PROJECT, "--quota-project", f"{PROJECT}\n", "doctor")
    assert result.code == 1
    assert _one_error_line(result.err) == (f"Error: flag --quota-project: '{PROJECT}\\n' is not a valid project ID")


def test_a_model_id_with_non_ascii_digits_is_refused() -> None:
    with pytest.raises(ConfigError, match="use a Vertex id"):
        config.load(None, {"project": PROJECT, "models": ["claude-sonnet-4-5@２０２５０９２９"]}, environ={})


@pytest.mark.parametrize("body", [
    "x = " + "[" * 5000 + "]" * 5000,
    "x = " + "{a = " * 5000 + "1" + "}" * 5000,
])
def test_toml_nested_5000_deep_is_one_line(run: Runner, config_file: Callable[[str], Path], body: str) -> None:
    config_file(f'project = "{PROJECT}"\n{body}\n')
    result = run("plan")
    assert result.code == 1
    assert _one_error_line(result.err) == "Error: vertex-claude.toml: invalid TOML: nested too deeply"


def test_a_config_that_is_not_utf8_is_one_line(run: Runner, tmp_path: Path) -> None:
    (tmp_path / "vertex-claude.toml").write_bytes(b'project = "demo-project"\n# caf\xe9\n')
    result = run("plan")
    assert result.code == 1
    assert _one_error_line(result.err) == ("Error: config file vertex-claude.toml is not UTF-8 text "
                                           "(byte 0xe9 at offset 30)")


def test_a_config_that_is_a_folder_is_one_line(run: Runner, tmp_path: Path) -> None:
    (tmp_path / "vertex-claude.toml").mkdir()
    result = run("plan")
    assert result.code == 1
    assert _one_error_line(result.err) == "Error: config file vertex-claude.toml: Is a directory"


@pytest.mark.parametrize(("url", "problem"), [
    ("http://exa mple.com", "it contains a space, a control character or a non-ASCII character"),
    ("https://serviceusage.googleapis.com\nhttps://evil.example", "it contains a space"),
    ("https://", "'' is not a host name"),
    ("https://exa_mple.com", "'exa_mple.com' is not a host name"),
    ("https://host.example:99999", "Port out of range 0-65535"),
    ("https://host.example:0", "port 0 is not a port"),
    ("https://user:secret@host.example", "credentials do not belong in the URL"),
    ("https://host.example/?x=1", "a base URL has no ?query or #fragment"),
    ("https://host.example/#top", "a base URL has no ?query or #fragment"),
    ("ftp://host.example", "is not an http(s) URL"),
    ("https://hóst.example", "non-ASCII"),
])
def test_malformed_endpoints_are_refused(url: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config.load(None, {"project": PROJECT, "endpoints.serviceusage": url}, environ={})
    assert caught.value.message.startswith("flag --serviceusage: endpoint ")
    assert problem in caught.value.message
    assert "\n" not in caught.value.one_line()


@pytest.mark.parametrize("target", ["logging.googleapis.com", "logging.googleapis.com:443\n", "host:0",
                                    "host:70000", "exa mple:443", "[::1]:443x"])
def test_malformed_grpc_targets_are_refused(target: str) -> None:
    with pytest.raises(ConfigError, match="is not host:port"):
        config.load(None, {"project": PROJECT, "endpoints.logging": target}, environ={})


def test_plain_http_to_google_is_refused_unless_loopback_or_opted_in(config_file: Callable[[str], Path]) -> None:
    config_file(f'project = "{PROJECT}"\n[endpoints]\nbigquery = "http://bigquery.googleapis.com"\n')
    with pytest.raises(ConfigError) as caught:
        config.load(Path("vertex-claude.toml"), environ={})
    assert caught.value.one_line() == (
        "vertex-claude.toml: key 'endpoints.bigquery': endpoint 'http://bigquery.googleapis.com' is plain http: your "
        "Google access token would cross the network unencrypted — fix: use https://, or, for a proxy on a network "
        "you trust, set allow_insecure_http = true in [endpoints]")
    for url in ("http://127.0.0.1:8089", "http://localhost:9000/base", "http://[::1]:8080", "http://127.8.9.10",
                "https://bigquery.googleapis.com"):
        path = config_file(f'project = "{PROJECT}"\n[endpoints]\nbigquery = "{url}"\n')
        assert config.load(path, environ={}).endpoints["bigquery"] == url
    path = config_file(f'project = "{PROJECT}"\n[endpoints]\nbigquery = "http://proxy.corp.example:3128"\n'
                       "allow_insecure_http = true\n")
    loaded = config.load(path, environ={})
    assert loaded.allow_insecure_http and loaded.endpoints["bigquery"] == "http://proxy.corp.example:3128"
    assert "allow_insecure_http" not in loaded.endpoints
    claude = config_file(f'project = "{PROJECT}"\n[endpoints]\nclaude = "http://gateway.example/{{region}}/v1"\n')
    with pytest.raises(ConfigError, match=r"'endpoints\.claude'.* is plain http"):
        config.load(claude, environ={})
    env = {"VERTEX_CLAUDE_ENDPOINTS_AIPLATFORM": "http://{region}-aiplatform.googleapis.com"}
    with pytest.raises(ConfigError, match=r"^environment VERTEX_CLAUDE_ENDPOINTS_AIPLATFORM: endpoint .* plain http"):
        config.load(None, {"project": PROJECT}, environ=env)


@pytest.mark.parametrize("name", ["VERTEX_CLAUDE_RETRY_DEADLINE", "VERTEX_CLAUDE_RETRY_INITIAL",
                                  "VERTEX_CLAUDE_AUDIT_CACHE_TTL"])
@pytest.mark.parametrize("value", ["abc", "nan", "inf", "-1", "1e12", "0x10"])
def test_junk_in_numeric_environment_settings_is_one_line(run: Runner, monkeypatch: pytest.MonkeyPatch, name: str,
                                                          value: str) -> None:
    monkeypatch.setenv(name, value)
    result = run("--emulator", "--project", PROJECT, "plan")
    assert (result.code, result.out) == (1, "")
    line = _one_error_line(result.err)
    low, high, _ = envnumbers.ENV_NUMBERS[name]
    assert line == f"Error: environment {name}: '{value}' is not a number of seconds from {low:g} to {high:g}"
    assert result.err.splitlines()[1].startswith(f"  fix: set it like {name}=")


@pytest.mark.parametrize(("name", "value", "problem"), [
    ("VERTEX_CLAUDE_LOGGING_SAMPLING_RATE", "nan", "sampling_rate = nan is outside (0, 1]"),
    ("VERTEX_CLAUDE_LOGGING_SAMPLING_RATE", "inf", "sampling_rate = inf is outside (0, 1]"),
    ("VERTEX_CLAUDE_LOGGING_RETENTION_DAYS", "1e3", "'1e3' is not an integer"),
    ("VERTEX_CLAUDE_SMOKE_TEST_MAX_TOKENS", "99999999999999999999", "is out of range"),
    ("VERTEX_CLAUDE_LOGGING_ENABLED", "maybe", "'maybe' is not true or false"),
    ("VERTEX_CLAUDE_REGIONS", " , ", "no regions configured"),
])
def test_junk_in_config_environment_settings_is_one_line(run: Runner, monkeypatch: pytest.MonkeyPatch, name: str,
                                                         value: str, problem: str) -> None:
    monkeypatch.setenv(name, value)
    result = run("--project", PROJECT, "plan")
    assert result.code == 1
    line = _one_error_line(result.err)
    assert line.startswith(f"Error: environment {name}: ") and problem in line


@pytest.mark.parametrize(("name", "value"), [
    ("VERTEX_CLAUDE_EMULATOR_HOST", "localhost:99999"), ("VERTEX_CLAUDE_EMULATOR_HOST", "exa mple:80"),
    ("VERTEX_CLAUDE_EMULATOR_HOST", "localhost:0"), ("VERTEX_CLAUDE_EMULATOR_HOST", "localhost:65535"),
    ("VERTEX_CLAUDE_EMULATOR_GRPC_HOST", "junk"), ("VERTEX_CLAUDE_EMULATOR_GRPC_HOST", "localhost:99999"),
])
def test_junk_emulator_hosts_are_one_line(run: Runner, monkeypatch: pytest.MonkeyPatch, name: str,
                                          value: str) -> None:
    monkeypatch.setenv("VERTEX_CLAUDE_EMULATOR_HOST", "127.0.0.1:8089")
    monkeypatch.setenv(name, value)
    result = run("--project", PROJECT, "api", "status")
    assert (result.code, result.out) == (1, "")
    assert _one_error_line(result.err) == f"Error: {name}={value!r} is not host:port"


@pytest.mark.parametrize("account", [
    "deployer@demo-project.iam.gserviceaccount.com",
    "123456789012-compute@developer.gserviceaccount.com",  # Compute Engine's default service account
    "demo-project@appspot.gserviceaccount.com",  # App Engine's default service account
    "deployer@my-project.example.com.iam.gserviceaccount.com",  # a domain-scoped project
])
def test_every_kind_of_service_account_google_issues_can_be_impersonated(account: str) -> None:
    cfg = config.load(None, {"project": PROJECT, "impersonate_service_account": account}, environ={})
    assert cfg.impersonate_service_account == account


@pytest.mark.parametrize("account", ["ci;touch$(whoami)@demo-project.iam.gserviceaccount.com",
                                     "deployer@evil.example.com", "deployer@developer.gserviceaccount.com.evil"])
def test_anything_else_is_not_a_service_account(account: str) -> None:
    with pytest.raises(ConfigError, match="is not a service account email"):
        config.load(None, {"project": PROJECT, "impersonate_service_account": account}, environ={})
