"""Which IAM permissions each command calls Google with, for a config: what `doctor` tests.

``plan`` and ``apply`` are derived from the steps the config asks for (each step declares what its
``read`` and ``apply`` call), so doctor cannot pass while plan fails on a permission it never tested.
The other commands' lists live here too; a test compares every list with what the emulator is asked for.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from . import all_steps, logging_steps

if TYPE_CHECKING:
    from vertex_claude_setup.config import Config

PREDICT = "aiplatform.endpoints.predict"
# doctor's own checks: the project, its billing (Cloud Billing asks for projects.get) and the API
DOCTOR = ("resourcemanager.projects.get", "serviceusage.services.get")
SMOKE_TEST = (PREDICT,)
# the pair's logging config names the table; tables.get gives the column names, tabledata.list the rows
VERIFY_LOGGED = ("aiplatform.endpoints.get", PREDICT, "bigquery.tables.get", "bigquery.tables.getData")
ENV = (PREDICT,)  # count tokens for pairs the audit cache does not hold
REGIONS_AUDIT = (PREDICT, "cloudquotas.quotas.get")


def _once(permissions: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(permissions))


# Read when held, never required: without them a command still works and says what it could not read.
OPTIONAL_PERMISSIONS = {
    "orgpolicy.policy.get": "doctor and the audit read the effective constraints/vertexai.allowedModels (a WARN "
                            "when they cannot)",
}


def command_permissions(config: Config) -> dict[str, tuple[str, ...]]:
    """Command -> the IAM permissions it calls Google with, for this config."""
    steps = all_steps(config)
    plan = _once(p for step in steps for p in step.read_permissions)
    out = {
        "doctor": DOCTOR,
        "plan": plan,
        "apply": _once([*plan, *(p for step in steps for p in step.apply_permissions)]),
        "smoke-test": SMOKE_TEST,
        "env": ENV,
        "regions audit": REGIONS_AUDIT,
    }
    if config.logging.enabled:
        out["logging verify"] = _once([*(p for step in logging_steps(config) for p in step.read_permissions)])
        out["smoke-test --verify-logged"] = VERIFY_LOGGED
    return out


def permission_rows(config: Config) -> list[tuple[str, tuple[str, ...]]]:
    """Each permission once, with the commands that need it, in first-use order."""
    needed: dict[str, list[str]] = {}
    for command, perms in command_permissions(config).items():
        for perm in perms:
            users = needed.setdefault(perm, [])
            if command not in users:
                users.append(command)
    return [(perm, tuple(users)) for perm, users in needed.items()]
