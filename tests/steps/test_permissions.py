"""doctor tests exactly the permissions the configured steps call: derived from the steps, checked here against
every permission the emulator was asked for, command by command (fresh project, converged, retention raised)."""

from __future__ import annotations

import json
from typing import Any

import logging_support
import pytest
from logging_support import PROJECT, Env

from vertex_claude_setup import config
from vertex_claude_setup.steps.permissions import OPTIONAL_PERMISSIONS, command_permissions

make_env = logging_support.make_env  # the fixture: a fresh emulator and config per test

SMOKE_ON = "[smoke_test]\nenabled = true\n"


def _asked(env: Env, *args: str) -> set[str]:
    """The permissions the emulator checked while the CLI ran ``args`` (which must succeed)."""
    env.emulator.state.permissions_checked.clear()
    code, out, err = env.run(*args)
    assert code == 0, out + err
    return set(env.emulator.state.permissions_checked)


def test_every_command_asks_for_exactly_what_doctor_tests(make_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    env = make_env({"defaults": {"operation_polls": 1}}, regions=["us-east5", "global"], extra=SMOKE_ON)
    declared = command_permissions(config.load())
    optional = set(OPTIONAL_PERMISSIONS)  # asked when held, never needed (doctor warns instead)
    plans = [_asked(env, "plan")]  # fresh: the API is off, nothing exists yet
    applies = [_asked(env, "apply", "--auto-approve")]
    plans.append(_asked(env, "plan"))  # converged: availability probed, the log table exists
    monkeypatch.setenv("VERTEX_CLAUDE_LOGGING_RETENTION_DAYS", "60")  # raise the dataset, table and bucket
    applies.append(_asked(env, "apply", "--auto-approve"))
    assert all(asked <= set(declared["plan"]) for asked in plans)
    assert all(asked <= set(declared["apply"]) for asked in applies)
    assert set().union(*plans) == set(declared["plan"])  # nothing declared that plan never calls
    assert set().union(*applies) == set(declared["apply"])
    assert _asked(env, "logging", "verify") == set(declared["logging verify"])
    assert _asked(env, "smoke-test") == set(declared["smoke-test"])
    assert _asked(env, "smoke-test", "--verify-logged", "--log-timeout", "5") == set(
        declared["smoke-test --verify-logged"])
    assert _asked(env, "regions", "audit", "--refresh") == set(declared["regions audit"])
    assert _asked(env, "env", "--probe") == set(declared["env"])
    assert _asked(env, "doctor") - optional == set(declared["doctor"])


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_what_doctor_reports_held_is_enough(make_env: Any, command: str) -> None:
    # The issue: doctor said "all 15 permissions held", then plan failed on logging.buckets.get.
    rows = command_permissions(config.load(None, {"project": PROJECT}, environ={}))
    granted = list(rows[command])
    env = make_env({"projects": {PROJECT: {"permissions": granted}}}, regions=["us-east5", "global"],
                   extra=SMOKE_ON)
    code, out, _err = env.run("doctor", "--json")
    report = json.loads(out)
    assert all(p["granted"] for p in report["permissions"] if command in p["needed_by"])
    args = ["apply", "--auto-approve"] if command == "apply" else ["plan"]
    code, out, err = env.run(*args)
    assert code == 0, out + err


def test_doctor_tests_no_permission_name_google_does_not_list() -> None:
    # testIamPermissions refuses a name that does not exist. Google's Vertex AI permissions page has an
    # operation's GET checked against its resource's own get permission, and no aiplatform.operations.get.
    declared = command_permissions(config.load(None, {"project": PROJECT}, environ={}))
    assert all("aiplatform.operations.get" not in names for names in declared.values())
