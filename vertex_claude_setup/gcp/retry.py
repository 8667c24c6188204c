"""One retry policy for every Google call: ``google.api_core.retry``, one deadline, a timeout per attempt.

Every call goes through api_core's retry loop (``retry_target``, ``retry_target_async`` for the probes,
entered at a call's first failure) with our predicate and backoff, and is passed to the client libraries
explicitly as ``retry=`` and ``timeout=``, so their own default retries (up to 60-120 s, inside ours)
never run. One operation — a call, its retries, the attempts of a read-merge-write, the pages of a
listing — lives within one deadline (``VERTEX_CLAUDE_RETRY_DEADLINE``): the first retried call starts it,
every call inside shares it (a context variable), and no attempt's timeout reaches past it.

What api_core's ``Retry`` cannot say by itself, and how it is said here with its own hooks:

* ``google.rpc.RetryInfo`` hints: ``Retry`` draws its waits from its own generator. ``retry_target``
  takes any sleep iterator and calls ``on_error`` before drawing the next wait, so ``_Waits`` yields the
  hint ``on_error`` found in the error, else api_core's jittered exponential wait.
* The last Google error at the deadline, not ``RetryError`` (which hides the status, and which callers
  met as "unexpected RetryError"): an ``exception_factory`` that raises the last error, with the number
  of attempts on it (``attempts_of``), so no message claims retries that did not happen.
* Attempt timeouts that end with the deadline: gapic's ``TimeToDeadlineTimeout`` goes back to the full
  timeout when less than 1 s is left, so an attempt could outlive the deadline; ``AttemptTimeout``
  caps every attempt at what is left. BigQuery and operation polls take a plain float timeout, which
  ``Policy`` replaces per attempt (``per_attempt_timeout``).
* A cap on attempts (the probes' ``Limits.attempts``): ``retry_target`` has none (a TODO upstream);
  ``on_error`` ends the loop by raising once the cap is reached.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from google.api_core.retry import RetryFailureReason

from vertex_claude_setup import envnumbers

T = TypeVar("T")

TRANSIENT_HTTP = frozenset({429, 503})
TRANSIENT_STATUS = frozenset({"RESOURCE_EXHAUSTED", "UNAVAILABLE"})
# Answers a repeatable call may retry besides 429/503: Google's 500 INTERNAL and 504 DEADLINE_EXCEEDED.
REPEATABLE_HTTP = frozenset({429, 500, 503, 504})
REPEATABLE_STATUS = frozenset({"RESOURCE_EXHAUSTED", "UNAVAILABLE", "INTERNAL", "DEADLINE_EXCEEDED"})
DEADLINE_ENV = "VERTEX_CLAUDE_RETRY_DEADLINE"
INITIAL_ENV = "VERTEX_CLAUDE_RETRY_INITIAL"
MIN_ATTEMPT_S = 0.1  # an attempt started just before the deadline still gets this long


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff and patience; ``VERTEX_CLAUDE_RETRY_DEADLINE``/``_INITIAL`` override them (seconds)."""

    initial: float = 0.5
    maximum: float = 16.0
    multiplier: float = 2.0
    deadline: float = 60.0
    attempt_timeout: float = 30.0  # one attempt's wait for an answer (never past the deadline)

    @classmethod
    def from_env(cls) -> RetryPolicy:
        """The defaults, overridden by the environment (junk there is a one-line ConfigError naming it)."""
        return cls(initial=envnumbers.env_number(INITIAL_ENV, cls.initial),
                   deadline=envnumbers.env_number(DEADLINE_ENV, cls.deadline))


class Deadline:
    """When one operation must end, and how long its next attempt may wait for an answer."""

    def __init__(self, policy: RetryPolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self._clock = clock
        self.started = clock()
        self.ends = self.started + policy.deadline

    def remaining(self) -> float:
        return self.ends - self._clock()

    def attempt_timeout(self, cap: float | None = None) -> float:
        """The timeout for an attempt starting now: the policy's (or ``cap``), cut to what is left."""
        limit = min(self.policy.attempt_timeout, cap) if cap is not None else self.policy.attempt_timeout
        return max(MIN_ATTEMPT_S, min(limit, self.remaining()))


_ACTIVE: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar("vertex_claude_deadline", default=None)


def current() -> Deadline:
    """The deadline of the operation in progress, or a new one (not installed) if none is."""
    return _ACTIVE.get() or Deadline(RetryPolicy.from_env())


@contextlib.contextmanager
def scope(policy: RetryPolicy | None = None) -> Iterator[Deadline]:
    """Run an operation of several calls within one deadline (an enclosing operation's, if any)."""
    active = _ACTIVE.get()
    if active is not None:
        yield active
        return
    deadline = Deadline(policy or RetryPolicy.from_env())
    token = _ACTIVE.set(deadline)
    try:
        yield deadline
    finally:
        _ACTIVE.reset(token)


def attempt_timeout(cap: float | None = None) -> float:
    """The timeout for one call made now (within the operation's deadline, if one is running)."""
    return current().attempt_timeout(cap)


# -- what is worth another attempt ---------------------------------------------------------------
def retry_delay_from(details: Any) -> float | None:
    """The ``google.rpc.RetryInfo.retryDelay`` in an error's details, in seconds, if any."""
    for detail in details or ():
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            match = re.fullmatch(r"(\d+(?:\.\d+)?)s", str(detail.get("retryDelay", "")))
            if match:
                return float(match.group(1))
        # gRPC errors carry the protobuf message itself (google.rpc.error_details_pb2.RetryInfo)
        delay = getattr(detail, "retry_delay", None)
        if delay is not None and type(detail).__name__ == "RetryInfo":
            return float(delay.seconds) + float(delay.nanos) / 1e9
    return None


def _status(exc: BaseException) -> tuple[Any, str]:
    return getattr(exc, "code", None), getattr(getattr(exc, "grpc_status_code", None), "name", "")


def is_transient(exc: BaseException) -> bool:
    """429 and 503/UNAVAILABLE: Google did not act on the request. The only retries for a create."""
    code, status = _status(exc)
    return (code in TRANSIENT_HTTP or status in TRANSIENT_STATUS) and not credentials_refused(exc)


def is_retryable(exc: BaseException) -> bool:
    """For reads and for writes that are safe to repeat (etag- or mask-guarded, or idempotent):
    429, 500, 503, 504 and their gRPC statuses, timeouts, dropped or refused connections.

    Never a name that does not resolve, nor credentials that were refused: waiting does not fix those.
    """
    code, status = _status(exc)
    if code in REPEATABLE_HTTP or status in REPEATABLE_STATUS:
        return not credentials_refused(exc) and not name_unresolved(exc)
    import requests
    from google.auth import exceptions as auth_exceptions

    if isinstance(exc, auth_exceptions.RefreshError):
        return False
    if isinstance(exc, (requests.exceptions.Timeout, requests.exceptions.ConnectionError,
                        requests.exceptions.ChunkedEncodingError, auth_exceptions.TransportError)):
        return not name_unresolved(exc)
    return False


# How urllib3 and the gRPC resolvers (c-ares, native) word a DNS failure.
_UNRESOLVED = ("Failed to resolve", "Name or service not known", "DNS resolution failed", "errors resolving",
               "Domain name not found")


def name_unresolved(exc: BaseException) -> bool:
    """A DNS failure somewhere in the chain (requests/urllib3 or gRPC's message)."""
    import socket

    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            break
        if isinstance(seen, socket.gaierror) or type(seen).__name__ == "NameResolutionError":
            return True
        seen = seen.__cause__ or seen.__context__ or next(
            (arg for arg in getattr(seen, "args", ()) if isinstance(arg, BaseException)), None)
    text = str(exc)
    return any(marker in text for marker in _UNRESOLVED)


def credentials_refused(exc: BaseException) -> bool:
    """gRPC reports credentials that cannot be refreshed as UNAVAILABLE "Getting metadata from plugin failed"."""
    return "metadata from plugin failed" in str(exc)


def failures() -> tuple[type[BaseException], ...]:
    """What one Google call can raise that a user or the network caused (for ``except``)."""
    import requests
    from google.api_core import exceptions
    from google.auth import exceptions as auth_exceptions

    return (exceptions.GoogleAPICallError, requests.exceptions.RequestException, auth_exceptions.GoogleAuthError)


# -- the loop: api_core's, with our waits and our final error --------------------------------------
class _Waits:
    """Backoff waits: api_core's jittered exponential ones; a RetryInfo hint in the last error wins."""

    def __init__(self, policy: RetryPolicy, attempts: int | None = None) -> None:
        from google.api_core.retry import exponential_sleep_generator

        self._jittered = exponential_sleep_generator(policy.initial, policy.maximum, policy.multiplier)
        self._hint: float | None = None
        self._cap = attempts
        self.failed = 0

    def __iter__(self) -> _Waits:
        return self

    def __next__(self) -> float:
        jittered = next(self._jittered)
        hint, self._hint = self._hint, None
        return jittered if hint is None else hint

    def on_error(self, exc: Exception) -> None:
        """Called by ``retry_target`` with each retryable error, before it draws the next wait."""
        self.failed += 1
        if self._cap is not None and self.failed >= self._cap:
            raise _with_attempts(exc, self.failed)
        hinted = getattr(exc, "retry_after", None)  # a caller's own error may carry the delay directly
        self._hint = hinted if isinstance(hinted, (int, float)) else retry_delay_from(getattr(exc, "details", None))


def _with_attempts(exc: Exception, attempts: int) -> Exception:
    with contextlib.suppress(AttributeError):  # a few C-level exceptions take no attributes
        exc.vertex_claude_attempts = attempts  # type: ignore[attr-defined]
    return exc


def attempts_of(exc: BaseException) -> int:
    """How many attempts ended in ``exc`` (1 unless the retry loop made more)."""
    return int(getattr(exc, "vertex_claude_attempts", 1))


def _last_error(errors: list[Exception], reason: RetryFailureReason,
                timeout: float | None) -> tuple[Exception, Exception | None]:
    """Raise the last error itself (at the deadline too), carrying how many attempts there were."""
    last = _with_attempts(errors[-1], len(errors))
    return last, last.__cause__ if isinstance(last.__cause__, Exception) else None


@functools.cache
def _policy_class() -> Any:
    """``GoogleRetry``, a subclass of api_core's ``Retry``, made on first use (``--help`` never imports api_core)."""
    from google.api_core import retry as core_retry

    class GoogleRetry(core_retry.Retry):
        """api_core's ``Retry`` with our waits, final error and deadline (see the module docstring)."""

        def __init__(self, predicate: Callable[[Exception], bool] = is_retryable, *,
                     per_attempt_timeout: bool = False, policy: RetryPolicy | None = None, **kwargs: Any) -> None:
            self.policy = policy or RetryPolicy.from_env()
            super().__init__(predicate=predicate, initial=self.policy.initial, maximum=self.policy.maximum,
                             multiplier=self.policy.multiplier, timeout=self.policy.deadline)
            self.per_attempt_timeout = per_attempt_timeout

        def __call__(self, func: Callable[..., Any], on_error: Callable[[Exception], Any] | None = None
                     ) -> Callable[..., Any]:
            @functools.wraps(func)
            def retry_wrapped(*args: Any, **kwargs: Any) -> Any:
                with scope(self.policy) as deadline:
                    def attempt() -> Any:
                        if self.per_attempt_timeout:
                            kwargs["timeout"] = deadline.attempt_timeout()
                        return func(*args, **kwargs)

                    waits = _Waits(self.policy)
                    return core_retry.retry_target(attempt, self._predicate, waits, timeout=deadline.remaining(),
                                                   on_error=waits.on_error, exception_factory=_last_error)

            return retry_wrapped

    return GoogleRetry


def policy(predicate: Callable[[Exception], bool] = is_retryable, *, per_attempt_timeout: bool = False) -> Any:
    """A ``google.api_core.retry.Retry`` for ``retry=``: our predicate, waits, final error and deadline."""
    return _policy_class()(predicate, per_attempt_timeout=per_attempt_timeout)


class AttemptTimeout:
    """``timeout=`` for a generated (gapic) client: each attempt's timeout, cut to the deadline.

    gapic applies it as a decorator inside the retry (``retry(timeout(rpc))``), once per attempt.
    """

    def __call__(self, func: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(func)
        def with_timeout(*args: Any, **kwargs: Any) -> T:
            kwargs["timeout"] = attempt_timeout()
            return func(*args, **kwargs)

        return with_timeout


def options(predicate: Callable[[Exception], bool] = is_retryable) -> dict[str, Any]:
    """``retry=`` and ``timeout=`` for one generated-client call (its default retry replaced by ours)."""
    return {"retry": policy(predicate), "timeout": AttemptTimeout()}


def float_options(predicate: Callable[[Exception], bool] = is_retryable) -> dict[str, Any]:
    """``retry=`` and ``timeout=`` for a library that takes a float timeout (google-cloud-bigquery)."""
    return {"retry": policy(predicate, per_attempt_timeout=True), "timeout": attempt_timeout()}


def call(fn: Callable[[], T], *, retry_if: Callable[[Exception], bool] = is_retryable) -> T:
    """Call ``fn`` under the policy: retry what ``retry_if`` accepts until the deadline, then raise it."""
    result: T = policy(retry_if)(fn)()
    return result


async def call_async(fn: Callable[[], Awaitable[T]], *, retry_if: Callable[[Exception], bool],
                     attempts: int | None = None, policy: RetryPolicy | None = None) -> T:
    """The async twin of ``call`` (api_core's ``retry_target_async``), with an optional cap on attempts.

    The first attempt runs before api_core's loop is set up: most calls (every probe of an audit) succeed at
    once, and setting up the loop's waits, generator and frames cost about a tenth of a probe's CPU. A first
    attempt that raises enters the loop as its first error (replayed, not repeated): the loop decides about
    it, with its waits, cap, deadline and final error, exactly as if it had made that attempt itself.
    """
    chosen = policy or RetryPolicy.from_env()
    with scope(chosen) as deadline:
        try:
            return await fn()
        except Exception as exc:  # handed to the retry loop, which decides about it
            first: Exception | None = exc
        from google.api_core.retry import retry_target_async

        async def attempt() -> T:
            nonlocal first
            if first is not None:
                replayed, first = first, None
                raise replayed
            return await fn()

        waits = _Waits(chosen, attempts)
        result: T = await retry_target_async(attempt, retry_if, waits, timeout=deadline.remaining(),
                                             on_error=waits.on_error, exception_factory=_last_error)
        return result
