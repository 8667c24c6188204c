"""The emulator's own control surface, under ``/_emulator/`` (no Google API uses that prefix), loopback only.

A test harness in another process (the chaos suite) changes faults and reads state while a tool runs:

* ``GET /_emulator/state``: the whole state as JSON (projects, operations, the rules with their counts: a
  concurrent write's ``seen`` and ``fired``, a propagation rule's open ``windows``…);
* ``POST /_emulator/faults``: replace any of ``faults``, ``concurrent_writes``, ``propagation``,
  ``operation_faults`` (lists of rules, checked like a scenario's; replacing ``propagation`` closes the windows
  its rules opened) and ``seed`` (restarts the deterministic fault draws);
* ``POST /_emulator/state``: merge ``defaults`` (e.g. ``operation_polls``) and set top-level keys of
  ``projects.<id>`` (scenario project keys, e.g. ``permissions``);
* ``GET /_emulator/rate_quotas``: requests admitted and refused per service under ``[rate_quotas]``.

Answers are JSON; mistakes get Google's error body (400 INVALID_ARGUMENT naming the key).
"""

from __future__ import annotations

import copy
import ipaddress
import json
from typing import Any

from vertex_claude_setup.errors import SetupError

from .googleerrors import ApiError
from .state import State, check_scenario

PREFIX = "/_emulator/"
RULE_LISTS = ("faults", "concurrent_writes", "propagation", "operation_faults")


def allowed(peer: str | None) -> bool:
    """Only callers on this machine; ``None`` is an in-process call (``Emulator.dispatch``)."""
    if peer is None:
        return True
    try:
        return ipaddress.ip_address(peer.split("%")[0]).is_loopback
    except ValueError:
        return False


def handle(state: State, method: str, path: str, raw_body: bytes) -> tuple[int, Any]:
    """(HTTP status, JSON body) for one admin call."""
    route = (method, path.removeprefix(PREFIX).rstrip("/"))
    try:
        try:
            body: Any = json.loads(raw_body) if raw_body.strip() else None
        except ValueError:
            raise ApiError("INVALID_ARGUMENT", "Invalid JSON payload received.") from None
        if route == ("GET", "state"):
            with state.lock:
                return 200, copy.deepcopy(state.data)
        if route == ("POST", "faults"):
            return 200, _set_faults(state, _object(body))
        if route == ("POST", "state"):
            return 200, _set_state(state, _object(body))
        if route == ("GET", "rate_quotas"):
            from .ratequota import stats

            return 200, stats(state)
    except ApiError as exc:
        return exc.http_code, exc.body()
    error = ApiError("NOT_FOUND", f"The requested URL {path} was not found on this server.")
    return error.http_code, error.body()


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError("INVALID_ARGUMENT", "The request body must be a JSON object.")
    return body


def _set_faults(state: State, body: dict[str, Any]) -> dict[str, Any]:
    unknown = set(body) - {*RULE_LISTS, "seed"}
    if unknown:
        raise ApiError("INVALID_ARGUMENT", f"Unknown key(s) {', '.join(sorted(unknown))}; known: "
                                           f"{', '.join((*RULE_LISTS, 'seed'))}.")
    _check({key: body[key] for key in RULE_LISTS if key in body})
    with state.lock:
        for key in RULE_LISTS:
            if key in body:
                state.data[key] = copy.deepcopy(body[key])
        if "seed" in body:
            state.data["seed"] = body["seed"]
        out = {key: copy.deepcopy(state.data.get(key, [])) for key in RULE_LISTS}
        out["seed"] = state.data.get("seed", 0)
    state.save()
    return out


def _set_state(state: State, body: dict[str, Any]) -> dict[str, Any]:
    unknown = set(body) - {"defaults", "projects"}
    if unknown:
        raise ApiError("INVALID_ARGUMENT", f"Unknown key(s) {', '.join(sorted(unknown))}; known: defaults, projects.")
    defaults = body.get("defaults") or {}
    projects = body.get("projects") or {}
    _check({"defaults": defaults, "projects": projects})
    with state.lock:
        state.data["defaults"].update(copy.deepcopy(defaults))
        for pid, spec in projects.items():
            project = state.project(pid)
            if project is None:
                raise ApiError("NOT_FOUND", f"Project {pid} not found.")
            for key, value in spec.items():
                project[key] = copy.deepcopy(value)
    state.save()
    return {"defaults": copy.deepcopy(state.data["defaults"]), "projects": sorted(projects)}


def _check(raw: dict[str, Any]) -> None:
    """The scenario's own key checks, as a 400 instead of a SetupError."""
    try:
        check_scenario(raw, "admin request")
    except SetupError as exc:
        raise ApiError("INVALID_ARGUMENT", f"{exc.message} ({exc.hint})" if exc.hint else exc.message) from None
