"""apply exits 0 only when every planned change was made: propagation after our own enable is waited out
(bounded), and a change that still cannot be made is a failed change named with its fix — never a warning."""

from __future__ import annotations

from typing import Any

import logging_support
import pytest
from logging_support import MODEL, PROJECT, Env

make_env = logging_support.make_env  # the fixture: a fresh emulator and config per test

REGIONS = ["us-east5", "europe-west1"]
NO_CHANGES = f"No changes. Project {PROJECT} matches the configuration.\n"
# The shape seen on Google: the operations endpoint answers, count-tokens and fetchPublisherModelConfig
# still answer SERVICE_DISABLED for a few calls after the enable operation completed.
BOTH_LAG = [{"path": "*count-tokens:rawPredict", "calls": 3}, {"path": "*:fetchPublisherModelConfig", "calls": 3}]
FETCH_LAGS = [{"path": "*:fetchPublisherModelConfig", "calls": 2}]  # count-tokens answers at once


def _windows(env: Env) -> list[dict[str, Any]]:
    """The propagation windows the enable opened (each ``[[propagation]]`` rule keeps its own)."""
    return [w for rule in env.emulator.state.data["propagation"] for w in rule["windows"]]


def _logging_on(env: Env) -> dict[str, bool]:
    configs = env.project.get("publisherModelConfigs", {})
    return {r: bool(configs.get(f"{r}/{MODEL}", {}).get("loggingConfig", {}).get("enabled")) for r in REGIONS}


@pytest.mark.parametrize("windows", [BOTH_LAG, FETCH_LAGS], ids=["count-tokens-and-fetch", "fetch-only"])
def test_propagation_after_our_enable_is_waited_out(make_env: Any, windows: list[dict[str, Any]]) -> None:
    env: Env = make_env({"propagation": windows}, regions=REGIONS)
    code, out, err = env.run("apply", "--auto-approve")
    assert code == 0, out + err
    assert out.endswith("Apply complete! 5 applied.\n")
    assert "API_DISABLED" not in out and "not configured there" not in out
    assert _logging_on(env) == {"us-east5": True, "europe-west1": True}
    assert len(_windows(env)) == len(windows)
    assert all(w["calls_left"] == 0 for w in _windows(env))  # the windows were really met
    code, out, _ = env.run("plan", "--detailed-exitcode")
    assert (code, out.endswith(NO_CHANGES)) == (0, True), out


def test_propagation_past_the_deadline_is_a_failed_change(make_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERTEX_CLAUDE_PROPAGATION_DEADLINE", "0.3")
    lagging = [{"path": "*count-tokens:rawPredict", "seconds": 3600},
               {"path": "*:fetchPublisherModelConfig", "seconds": 3600}]
    env: Env = make_env({"propagation": lagging}, regions=REGIONS)
    code, out, err = env.run("apply", "--auto-approve")
    assert code == 1, out + err
    for region in REGIONS:
        assert (f"  ✗ enable request-response logging {MODEL} in {region}: Vertex AI answers SERVICE_DISABLED there "
                "(Service Usage says it is enabled: not propagated to this endpoint yet)\n"
                "      fix: re-run `vertex-claude-setup apply` in a few minutes: an enabled API can take several "
                "minutes to reach every endpoint (this run waited up to 0.3 s; VERTEX_CLAUDE_PROPAGATION_DEADLINE "
                "sets it)\n") in out
    assert out.endswith("Apply failed: 3 applied, 2 failed, 0 skipped. Fix the cause and run apply again: it resumes "
                        "where it stopped.\n")
    assert _logging_on(env) == {"us-east5": False, "europe-west1": False}
    # Google catches up (the window closes): the next apply converges.
    for window in _windows(env):
        window["until"] = 0
    code, out, err = env.run("apply", "--auto-approve")
    assert code == 0, out + err
    assert out.endswith("Apply complete! 2 applied.\n")
    assert _logging_on(env) == {"us-east5": True, "europe-west1": True}


def test_a_disabled_api_is_reported_at_once_not_waited_for(make_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # Nobody enabled it: `logging verify` must not wait out a propagation that is not happening.
    monkeypatch.setenv("VERTEX_CLAUDE_PROPAGATION_DEADLINE", "600")
    env: Env = make_env(regions=["us-east5"])
    code, out, _ = env.run("logging", "verify")
    assert code == 3
    assert "API_DISABLED" in out
    assert len(env.paths("count-tokens")) == 1


LASTING_503 = [{"path": "*/locations/europe-west1/*count-tokens:rawPredict", "status": 503}]


def test_a_probe_answering_503_every_time_fails_the_planned_change(make_env: Any) -> None:
    env: Env = make_env({"faults": LASTING_503}, regions=REGIONS)
    code, out, err = env.run("apply", "--auto-approve")
    assert code == 1, out + err
    assert (f"  ✗ enable request-response logging {MODEL} in europe-west1: Vertex AI answered 503 UNAVAILABLE after "
            "retries: The service is currently unavailable.\n"
            "      fix: re-run `vertex-claude-setup apply`; if it persists, check https://status.cloud.google.com\n"
            ) in out
    assert f"  ✓ enable request-response logging {MODEL} in us-east5: " in out
    assert out.endswith("Apply failed: 4 applied, 1 failed, 0 skipped. Fix the cause and run apply again: it resumes "
                        "where it stopped.\n")
    assert _logging_on(env) == {"us-east5": True, "europe-west1": False}


def test_an_unreadable_pair_is_planned_and_converges_once_google_answers(make_env: Any) -> None:
    scenario = {"projects": {PROJECT: {"enabled_services": ["aiplatform.googleapis.com"]}}, "faults": LASTING_503}
    env: Env = make_env(scenario, regions=REGIONS)
    code, out, _ = env.run("plan", "--detailed-exitcode")
    assert f"""\
  ~ enable request-response logging {MODEL} in europe-west1
      (could not be read) → {{"bigqueryDestination": {{"outputUri": "bq://{PROJECT}.claude_logs.request_response_logging"}}, "enabled": true, "samplingRate": 1.0}}
      # its state could not be read; apply reads it again and sets it
""" in out  # noqa: E501
    assert (f"  ! {MODEL} in europe-west1: request-response logging could not be read: Vertex AI answered 503 "
            "UNAVAILABLE after retries: The service is currently unavailable.\n") in out
    code, out, err = env.run("apply", "--auto-approve")
    assert code == 1, out + err
    assert f"  ✗ enable request-response logging {MODEL} in europe-west1: Vertex AI answered 503 UNAVAILABLE" in out
    assert _logging_on(env) == {"us-east5": True, "europe-west1": False}
    env.emulator.state.data["faults"].clear()  # the outage is over
    code, out, err = env.run("apply", "--auto-approve")
    assert code == 0, out + err
    assert out.endswith("Apply complete! 1 applied.\n")
    assert _logging_on(env) == {"us-east5": True, "europe-west1": True}


def test_an_enable_vertex_never_sees_is_a_failed_change_saying_so(make_env: Any,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERTEX_CLAUDE_PROPAGATION_DEADLINE", "0.3")
    env: Env = make_env({"propagation": [{"path": "*/operations", "seconds": 3600}]}, regions=["us-east5"])
    code, out, err = env.run("apply", "--auto-approve")
    assert code == 1, out + err
    assert (f"  ✗ enable service aiplatform.googleapis.com on project {PROJECT}: aiplatform.googleapis.com (project "
            f"{PROJECT}, region us-east5): API aiplatform.googleapis.com is not enabled on project {PROJECT} "
            "(Service Usage says it is enabled: not propagated to this endpoint yet)\n"
            "      fix: re-run `vertex-claude-setup apply` in a few minutes: an enabled API can take several minutes "
            "to reach every endpoint (this run waited up to 0.3 s; VERTEX_CLAUDE_PROPAGATION_DEADLINE sets it)\n"
            ) in out
    assert f"  - skipped enable request-response logging {MODEL} in us-east5: depends on api, which failed" in out
