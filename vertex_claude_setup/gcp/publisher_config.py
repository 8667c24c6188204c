"""Vertex AI v1beta1 publisher model config for Claude: fetch, and set with ``updateMask`` (an LRO).

JSON through the authorized session rather than the generated ``EndpointServiceClient``: that client cannot
send ``updateMask`` and drops fields it does not know, which would wipe ``dataSharingEnabledProvider``.
Regional hosts only: Google does not support request-response logging on ``global`` for Anthropic models.
"""

from __future__ import annotations

import time
from typing import Any

from vertex_claude_setup.errors import SetupError
from vertex_claude_setup.gcp import propagation, retry

from .errors import Where
from .failures import translate
from .session import GoogleApis
from .vertex import API, HttpError, request_json

OWNED_FIELD = "loggingConfig"


def model_url(google: GoogleApis, project: str, region: str, model: str) -> str:
    return (f"{google.vertex_endpoint(region)}/v1beta1/projects/{project}/locations/{region}"
            f"/publishers/anthropic/models/{model}")


def fetch_raw(google: GoogleApis, project: str, region: str, model: str) -> dict[str, Any]:
    """``fetchPublisherModelConfig``; raises HttpError (callers classify 404/400 answers), and a one-line
    SetupError when no answer came (timeouts, unreachable host, credentials)."""
    url = model_url(google, project, region, model) + ":fetchPublisherModelConfig"
    headers = google.vertex_headers(region)
    try:
        body = propagation.call(google.propagation, lambda: retry.call(
            lambda: request_json(google, "GET", url, headers=headers)))
    except retry.failures() as exc:
        raise translate(exc, Where(API, project, region, model), "fetchPublisherModelConfig", url) from None
    return dict(body) if isinstance(body, dict) else {}


def _explain(google: GoogleApis, exc: HttpError, where: Where) -> SetupError:
    error = exc.explain(where)
    return google.propagation.still_disabled(error, API) if exc.reason == "SERVICE_DISABLED" else error


def fetch(google: GoogleApis, project: str, region: str, model: str) -> dict[str, Any]:
    """The whole PublisherModelConfig (``{}`` when nothing is set); SetupError on failure."""
    try:
        return fetch_raw(google, project, region, model)
    except HttpError as exc:
        raise _explain(google, exc, Where(API, project, region, model)) from None


def set_logging(google: GoogleApis, project: str, region: str, model: str,
                logging_config: dict[str, Any]) -> dict[str, Any]:
    """Write only ``loggingConfig`` (``updateMask``), wait for the operation, return the resulting config.

    Setting one masked field to a value is safe to repeat, so a 500 or a timeout is retried like a read.
    """
    url = model_url(google, project, region, model) + ":setPublisherModelConfig"
    body = {"publisherModelConfig": {OWNED_FIELD: logging_config}, "updateMask": OWNED_FIELD}
    where = Where(API, project, region, model)
    call = "setPublisherModelConfig"
    try:
        # A SERVICE_DISABLED answer was refused at the door: sending it again once propagated is safe.
        headers = google.vertex_headers(region)
        operation = propagation.call(google.propagation, lambda: retry.call(
            lambda: request_json(google, "POST", url, json=body, headers=headers)))
        call = "operations.get"
        done = wait(google, region, operation)
    except HttpError as exc:
        raise _explain(google, exc, where) from None
    except retry.failures() as exc:
        raise translate(exc, where, call, url) from None
    if done.get("error"):
        error = done["error"]
        from .errors import explain

        raise explain(where, http_code=400, status=str(error.get("code", "")),
                      message=str(error.get("message", "operation failed")), details=error.get("details"))
    response = dict(done.get("response") or {})
    response.pop("@type", None)
    return response


def wait(google: GoogleApis, region: str, operation: dict[str, Any], timeout: float = 300.0) -> dict[str, Any]:
    """Poll ``GET {regional host}/v1beta1/{name}`` until done (the first answer may already be done)."""
    deadline = time.monotonic() + timeout
    delay = 0.05
    headers = google.vertex_headers(region)
    while not operation.get("done"):
        if time.monotonic() > deadline:
            raise SetupError(f"operation {operation.get('name')} did not finish within {int(timeout)} s",
                             "check it later with `vertex-claude-setup logging verify`")
        time.sleep(delay)
        delay = min(delay * 2, 5.0)
        url = f"{google.vertex_endpoint(region)}/v1beta1/{operation['name']}"
        operation = propagation.call(google.propagation, lambda u=url: retry.call(  # type: ignore[misc]
            lambda: request_json(google, "GET", u, headers=headers)))
    return operation
