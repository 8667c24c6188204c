"""Enabling an API propagates: a SERVICE_DISABLED right after it is a wait, not an answer — within a deadline.

Google's own error text says so ("If you enabled this API recently, wait a few minutes for the action to
propagate to our systems and retry"), and the endpoints of one API do not see the enable at once: Vertex AI's
``operations`` list may answer while ``count-tokens`` and ``fetchPublisherModelConfig`` still refuse.

This module is the policy alone, kept apart from the transient-error retries of ``retry.py``:
``Propagation`` remembers, per run, the services Service Usage says are ENABLED (this run enabled them, or
read them so) and since when; ``retryable`` is the predicate "this answer is that service still
propagating"; ``call`` waits such answers out until the propagation deadline. A service never seen ENABLED
is not waited for: a genuinely disabled API is reported at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from vertex_claude_setup import envnumbers
from vertex_claude_setup.errors import SetupError

from .errors import error_info

T = TypeVar("T")
E = TypeVar("E", bound=SetupError)

DEADLINE_ENV = "VERTEX_CLAUDE_PROPAGATION_DEADLINE"
DEFAULT_DEADLINE_S = 180.0  # Google: "wait a few minutes"
MAX_WAIT_S = 10.0


def deadline_from_env(environ: dict[str, str] | None = None) -> float:
    """Seconds a service may take to propagate (``VERTEX_CLAUDE_PROPAGATION_DEADLINE``, default 180)."""
    return envnumbers.env_number(DEADLINE_ENV, DEFAULT_DEADLINE_S, environ)


def service_disabled(exc: BaseException) -> str:
    """The service a Google error answer says is disabled (ErrorInfo ``SERVICE_DISABLED``), else ``""``."""
    info = error_info(getattr(exc, "details", None))
    if info.get("reason") != "SERVICE_DISABLED":
        return ""
    return str((info.get("metadata") or {}).get("service") or "")


class Propagation:
    """One run's memory of enabled services, and the waits allowed while they propagate (thread-safe)."""

    def __init__(self, deadline: float | None = None, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.deadline = deadline_from_env() if deadline is None else deadline
        self._clock = clock
        self._since: dict[str, float] = {}
        self._lock = threading.Lock()

    def note_enabled(self, service: str) -> None:
        """Service Usage says ``service`` is ENABLED (we enabled it, or read it so): its window opens now."""
        with self._lock:
            self._since.setdefault(service, self._clock())

    def noted(self, service: str) -> bool:
        with self._lock:
            return service in self._since

    def remaining(self, service: str) -> float:
        """Seconds left in ``service``'s propagation window (0 when never noted or past the deadline)."""
        with self._lock:
            since = self._since.get(service)
        return 0.0 if since is None else max(0.0, since + self.deadline - self._clock())

    def next_wait(self, service: str, attempt: int) -> float | None:
        """Seconds to wait before trying again after ``attempt`` SERVICE_DISABLED answers, or None: give up.

        Growing waits (a fiftieth of the deadline, doubling, at most 10 s), never past the deadline.
        """
        left = self.remaining(service)
        if left <= 0:
            return None
        first = min(1.0, self.deadline / 50)
        wait = min(first * 2.0 ** max(0, attempt - 1), MAX_WAIT_S, self.deadline / 10)
        return min(wait, left)

    def retryable(self, exc: BaseException) -> bool:
        """The predicate: ``exc`` is SERVICE_DISABLED for a service still inside its propagation window."""
        service = service_disabled(exc)
        return bool(service) and self.remaining(service) > 0

    def note(self, service: str) -> tuple[str, str] | None:
        """(message suffix, fix) for a SERVICE_DISABLED answer from ``service`` once seen ENABLED, else None.

        Past the deadline the answer is not "enable the API" (it is enabled): it is "not propagated yet".
        Both texts are stable (no clock in them): they end up in observed state, which plan files fingerprint.
        """
        if not self.noted(service):
            return None
        return (" (Service Usage says it is enabled: not propagated to this endpoint yet)",
                f"re-run `vertex-claude-setup apply` in a few minutes: an enabled API can take several minutes to "
                f"reach every endpoint (this run waited up to {self.deadline:g} s; {DEADLINE_ENV} sets it)")

    def still_disabled(self, error: E, service: str) -> E:
        """``error`` (a SERVICE_DISABLED answer) told as what it is when ``service`` was seen ENABLED."""
        note = self.note(service)
        if note is not None:
            error.message += note[0]
            error.hint = note[1]
        return error


def call(propagation: Propagation, fn: Callable[[], T], *,
         sleep: Callable[[float], None] = time.sleep) -> T:
    """Call ``fn``; while it raises SERVICE_DISABLED for a propagating service, wait and call again.

    Only that answer is retried here (transient errors are ``retry.py``'s, inside ``fn``); past the
    deadline the last answer is raised for the caller to report.
    """
    attempt = 0
    while True:
        try:
            return fn()
        except Exception as exc:
            if not propagation.retryable(exc):
                raise
            attempt += 1
            wait = propagation.next_wait(service_disabled(exc), attempt)
            if wait is None:
                raise
            sleep(wait)
