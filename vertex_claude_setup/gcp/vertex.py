"""Vertex AI control-plane JSON calls (google-auth ``AuthorizedSession``): the regional host is chosen per call."""

from __future__ import annotations

from typing import Any

from vertex_claude_setup.errors import GoogleApiError
from vertex_claude_setup.gcp import propagation, retry

from .errors import Where, explain
from .session import GoogleApis

API = "aiplatform.googleapis.com"


class HttpError(Exception):
    """A non-2xx answer, kept raw so the retry policy and error translation can read it."""

    def __init__(self, code: int, body: Any) -> None:
        super().__init__(f"HTTP {code}")
        self.code = code
        body = next((b for b in body if isinstance(b, dict)), {}) if isinstance(body, list) else body
        self.error = (body or {}).get("error", {}) if isinstance(body, dict) else {}
        self.details = self.error.get("details", [])

    @property
    def reason(self) -> str:
        from .errors import error_info

        return str(error_info(self.details).get("reason") or "")

    def explain(self, where: Where) -> GoogleApiError:
        return explain(where, http_code=self.code, status=str(self.error.get("status", "")),
                       message=str(self.error.get("message", "")), details=self.details,
                       attempts=retry.attempts_of(self))


def request_json(google: GoogleApis, method: str, url: str, *, api: str = API, **kwargs: Any) -> Any:
    """One JSON call through the authorized session; raises HttpError on a non-2xx answer.

    Its timeout is the operation's next attempt timeout: never past the deadline of the retried call it is in.
    ``api`` names the Google API the URL belongs to (its rate limit, in fleet runs).
    """
    session = google.authorized_session(api)
    resp = session.request(method, url, timeout=retry.attempt_timeout(), **kwargs)
    try:
        body = resp.json() if resp.content else {}
    except ValueError:
        body = {"error": {"code": resp.status_code, "message": resp.text[:200], "status": ""}}
    if resp.status_code >= 400:
        raise HttpError(resp.status_code, body)
    return body


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, HttpError) and retry.is_retryable(exc)


def wait_until_serving(google: GoogleApis, project: str, region: str) -> None:
    """After enabling the API, wait out SERVICE_DISABLED (propagation) until Vertex AI answers in ``region``.

    Only this one endpoint is waited for here; every other Vertex AI call waits out its own propagation
    (``propagation.call``), since Google's endpoints see an enable at different times.
    """
    url = f"{google.vertex_endpoint(region)}/v1/projects/{project}/locations/{region}/operations"
    try:
        propagation.call(google.propagation, lambda: retry.call(
            lambda: request_json(google, "GET", url, params={"pageSize": 1}, headers=google.vertex_headers(region)),
            retry_if=_transient))
    except retry.failures() as exc:
        from .failures import translate

        raise translate(exc, Where(API, project, region), "operations.list", url) from None
    except HttpError as exc:
        # Only "still disabled" (or still failing) after the deadline is an error here. Any other answer — a
        # 403 for a missing aiplatform.operations.list permission, say — means Vertex AI is serving the project;
        # the steps that call it report their own errors.
        if exc.reason == "SERVICE_DISABLED":
            raise google.propagation.still_disabled(exc.explain(Where(API, project, region)), API) from None
        if _transient(exc):
            raise exc.explain(Where(API, project, region)) from None
