"""Service Usage v1: read and enable APIs (real client, REST, LRO waited for)."""

from __future__ import annotations

from typing import Any

from vertex_claude_setup.gcp import retry

from .errors import Where
from .failures import translate
from .session import GoogleApis

API = "serviceusage.googleapis.com"
LRO_TIMEOUT_S = 600.0


def get_state(google: GoogleApis, project: str, service: str) -> str:
    """``ENABLED`` or ``DISABLED`` for one service on the project."""
    client = google.service_usage_client()
    try:
        svc = client.get_service(request={"name": f"projects/{project}/services/{service}"}, **retry.options())
    except retry.failures() as exc:
        raise translate(exc, Where(API, project), "services.get", google.endpoint("serviceusage")) from None
    if svc.state.name == "ENABLED":
        google.propagation.note_enabled(service)  # Vertex AI may not see it everywhere yet
    return str(svc.state.name)


def enable(google: GoogleApis, project: str, service: str) -> str:
    """Enable ``service`` and wait for the long-running operation; returns the final state.

    ``services.enable`` is idempotent (enabling an enabled service changes nothing), so a 500 is retried like
    a read. Each poll of the operation is one call under the policy (its own deadline and timeout).
    """
    from google.api_core.future import polling

    client = google.service_usage_client()
    where = Where(API, project)
    call = "services.enable"
    try:
        op: Any = client.enable_service(request={"name": f"projects/{project}/services/{service}"},
                                        **retry.options())
        call = "operations.get"
        fast_polling = polling.DEFAULT_POLLING.with_delay(initial=0.2, maximum=10.0).with_timeout(LRO_TIMEOUT_S)
        response = op.result(timeout=LRO_TIMEOUT_S, polling=fast_polling,
                             retry=retry.policy(per_attempt_timeout=True))
    except retry.failures() as exc:
        raise translate(exc, where, call, google.endpoint("serviceusage")) from None
    except TimeoutError:
        from vertex_claude_setup.errors import GoogleApiError

        raise GoogleApiError(f"{where.describe()}: enabling {service} did not finish in {LRO_TIMEOUT_S:.0f}s",
                             "re-run `vertex-claude-setup apply`; the operation continues on Google's side") from None
    state = getattr(getattr(response, "service", None), "state", None)
    final = str(state.name) if state is not None and state.name != "STATE_UNSPECIFIED" else "ENABLED"
    if final == "ENABLED":
        google.propagation.note_enabled(service)  # its endpoints see it over the next minutes
    return final
