"""Chaos beyond plain faults: connection resets, per-endpoint propagation windows after an enable, and
failing or long-pending operations.

The chaos suite (``benchmarks/chaos.py``) needs what the real Google does to a tool under load, which the
plain ``[[faults]]`` rules cannot say. Everything here is off unless a scenario (or the admin surface) asks:

* a fault rule with ``reset = "before"`` drops the connection (TCP RST) without processing the call, with
  ``"after"`` it processes the call and loses the answer (with ``latency_ms``: a stall, then the drop);
* ``[[propagation]]`` (``service`` glob, default Vertex AI; ``method``; ``path`` glob; ``calls`` and/or
  ``seconds``): when an enable of a matching service completes, a window opens on the endpoints the rule
  matches, answering Google's ``SERVICE_DISABLED`` for ``calls`` calls and/or ``seconds`` seconds while Service
  Usage already says ENABLED (propagation reaches endpoints one by one; ``path = "*"`` holds every endpoint of
  the service). The open windows are kept in the rule (``windows``: project, service, calls left, until): a call
  is refused by the first rule whose window is open for it, so replacing the rules closes them;
* ``[[operation_faults]]`` (``name`` glob, ``polls``, ``status``, ``message``, ``times``) make new
  operations stay pending for ``polls`` polls and/or finish with an error (their effect never happens).

Another client writing concurrently is ``[[concurrent_writes]]`` (``faults.py``).
"""

from __future__ import annotations

import fnmatch
import re
import time
from typing import TYPE_CHECKING, Any

from .googleerrors import STATUS_FOR_HTTP, ApiError, service_disabled

if TYPE_CHECKING:
    from .state import State

OPERATION_FAULT_KEYS = {"name", "polls", "status", "message", "times"}
# ``windows`` is the emulator's own record of the windows a rule opened (read back through the admin surface).
PROPAGATION_KEYS = {"service", "method", "path", "calls", "seconds", "windows"}
DEFAULT_PROPAGATING = "aiplatform.googleapis.com"
RESETS = {"before", "after"}
_PROJECT_IN_PATH = re.compile(r"/projects/(?P<ref>[^/:]+)")


class ConnectionReset(Exception):
    """The server drops the connection instead of answering (a TCP reset)."""


# -- per-endpoint propagation windows ------------------------------------------------------------------
def _project_of(data: dict[str, Any], path: str) -> dict[str, Any] | None:
    match = _PROJECT_IN_PATH.search(path)
    if not match:
        return None
    ref = match.group("ref")
    projects: dict[str, dict[str, Any]] = data.get("projects", {})
    if ref in projects:
        return projects[ref]
    return next((p for p in projects.values() if p.get("projectNumber") == ref), None)


def open_windows(state: State, project: dict[str, Any], service: str) -> None:
    """An enable of ``service`` completed on ``project``: each ``[[propagation]]`` rule for it opens its window
    there (again, if one was open)."""
    with state.lock:
        for rule in state.data.get("propagation") or []:
            if not fnmatch.fnmatchcase(service, str(rule.get("service", DEFAULT_PROPAGATING))):
                continue
            where = {"project": project["projectId"], "service": service}
            windows = [w for w in rule.get("windows", []) if (w["project"], w["service"]) != tuple(where.values())]
            windows.append({**where, "calls_left": int(rule.get("calls", 0)),
                            "until": time.time() + float(rule.get("seconds", 0))})
            rule["windows"] = windows


def propagating(state: State, service: str, method: str, path: str) -> ApiError | None:
    """Google's SERVICE_DISABLED when a propagation window holds this call to ``service`` (the API is ENABLED on
    the project named in ``path``, but not yet here); None otherwise. A refused call uses one of its calls."""
    if not state.data.get("propagation"):
        return None  # the common case: no window can be open, no lock taken
    with state.lock:
        project = _project_of(state.data, path)
        if project is None or project.get("services", {}).get(service) != "ENABLED":
            return None  # unknown, or really disabled: the API's own handler answers
        for rule in state.data.get("propagation") or []:
            if rule.get("method") and str(rule["method"]).upper() != method:
                continue
            if not fnmatch.fnmatchcase(path, str(rule["path"])):
                continue
            for window in rule.get("windows", []):
                if (window["project"], window["service"]) != (project["projectId"], service):
                    continue
                if window["calls_left"] > 0:
                    window["calls_left"] -= 1
                elif time.time() >= float(window["until"]):
                    continue
                return _service_disabled(project, service)
    return None


def _service_disabled(project: dict[str, Any], service: str) -> ApiError:
    from .common import SERVICE_TITLES  # common imports this module

    return service_disabled(str(project.get("projectNumber", "")), service, SERVICE_TITLES.get(service, service))


# -- operations -------------------------------------------------------------------------------------
def operation_fault(state: State, name: str) -> tuple[int | None, ApiError | None]:
    """(polls to stay pending, error to finish with) for a new operation named ``name``, from the first
    matching ``operation_faults`` rule with shots left; (None, None) when none matches."""
    with state.lock:
        for rule in state.data.get("operation_faults", []):
            if not fnmatch.fnmatchcase(name, str(rule.get("name", "*"))):
                continue
            if rule.get("times") is not None:
                if int(rule["times"]) <= 0:
                    continue
                rule["times"] = int(rule["times"]) - 1
            polls = int(rule["polls"]) if rule.get("polls") is not None else None
            error = None
            if rule.get("status"):
                status = str(rule["status"])
                if status.isdigit():
                    status = STATUS_FOR_HTTP.get(int(status), "UNKNOWN")
                error = ApiError(status, str(rule.get("message") or f"Operation failed: {status}."))
            return polls, error
    return None, None
