"""Any failure of one Google call as a one-line error that names the API, the call, the endpoint and the fix.

``errors.explain`` handles the answers Google gave; this handles the calls that got none: no answer
within the deadline, a host that does not resolve, a refused or dropped connection, credentials
that cannot be refreshed (revoked, expired) or a token endpoint out of reach.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from typing import Any

from vertex_claude_setup.errors import GoogleApiError

from . import retry
from .errors import GoogleUnavailable, Where, from_api_core

LOGIN_FIX = ("run `gcloud auth application-default login` (or point GOOGLE_APPLICATION_CREDENTIALS at valid "
             "credentials; with --impersonate-service-account, check the impersonation)")
_HOST_RE = re.compile(r"host='([^']+)'(?:, port=(\d+))?")
# gRPC's words for "never reached the server" (DNS, refused, no route), as api_core passes them on.
_GRPC_UNREACHABLE = ("failed to connect to all addresses", "DNS resolution failed", "errors resolving",
                     "Connection refused", "No route to host", "Network is unreachable")


def translate(exc: BaseException, where: Where, call: str = "", endpoint: str = "") -> GoogleApiError:
    """The one-line error for ``exc`` raised by ``call`` (e.g. ``projects.get``) to ``endpoint``."""
    from google.api_core import exceptions
    from google.auth import exceptions as auth_exceptions

    from .vertex import HttpError

    if isinstance(exc, HttpError):
        return exc.explain(where)
    if isinstance(exc, auth_exceptions.RefreshError) or retry.credentials_refused(exc):
        return _credentials(exc, where)
    if isinstance(exc, exceptions.GoogleAPICallError):
        if _answered(exc):
            return from_api_core(exc, where)
        if isinstance(exc, exceptions.DeadlineExceeded):
            return _no_answer(exc, where, call, endpoint)
        text = str(getattr(exc, "message", "") or exc)
        if any(marker in text for marker in _GRPC_UNREACHABLE):
            return _unreachable(exc, where, call, endpoint, _grpc_reason(text))
        return from_api_core(exc, where)
    import requests

    if isinstance(exc, auth_exceptions.TransportError):
        host = host_of(exc, "oauth2.googleapis.com")
        return GoogleUnavailable(f"{where.describe()}: {call or 'the call'}: cannot refresh the Google credentials: "
                                 f"{refresh_reason(exc)}",
                                 f"check network access to {host} (proxy, firewall, DNS), then retry",
                                 status="UNAVAILABLE", reason="TOKEN_ENDPOINT_UNREACHABLE")

    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return _unreachable(exc, where, call, endpoint, "connection timed out")
    if isinstance(exc, requests.exceptions.Timeout):
        return _no_answer(exc, where, call, endpoint)
    if isinstance(exc, requests.exceptions.RequestException):
        return _unreachable(exc, where, call, endpoint, _requests_reason(exc))
    return GoogleApiError(f"{where.describe()}: {call or 'the call'} failed: {_short(exc)}", "")


def _answered(exc: Any) -> bool:
    """Whether Google (or a proxy) answered: a REST response, or a gRPC status other than the transport's own."""
    response = getattr(exc, "response", None)
    return response is not None and hasattr(response, "status_code")


def host_of(exc: BaseException, endpoint: str = "") -> str:
    """The host a failed call went to: the request's URL, else the error text, else ``endpoint``."""
    request = getattr(exc, "request", None)
    url = str(getattr(request, "url", "") or "")
    if url:
        return urllib.parse.urlsplit(url).netloc or url
    match = _HOST_RE.search(str(exc))
    if match:
        return f"{match.group(1)}:{match.group(2)}" if match.group(2) else match.group(1)
    if endpoint:
        return urllib.parse.urlsplit(endpoint).netloc or endpoint
    return "the Google endpoint"


def _no_answer(exc: BaseException, where: Where, call: str, endpoint: str) -> GoogleUnavailable:
    host = host_of(exc, endpoint)
    deadline = retry.current().policy.deadline
    tries = retry.attempts_of(exc)
    tried = f"{tries} attempts" if tries > 1 else "1 attempt"
    return GoogleUnavailable(
        f"{where.describe()}: {call or 'the call'} got no answer from {host} within the {deadline:g} s deadline "
        f"({tried})",
        f"check network access to {host} (proxy, firewall, [endpoints]); if Google is only slow, raise "
        f"{retry.DEADLINE_ENV} (now {deadline:g} s)",
        status="DEADLINE_EXCEEDED", reason="NO_ANSWER")


def _unreachable(exc: BaseException, where: Where, call: str, endpoint: str, reason: str) -> GoogleUnavailable:
    host = host_of(exc, endpoint)
    if retry.name_unresolved(exc):
        return GoogleUnavailable(f"{where.describe()}: {call or 'the call'}: cannot resolve the host name {host}",
                                 "check the host name (the [endpoints] setting for this API) and DNS",
                                 status="UNAVAILABLE", reason="DNS_FAILURE")
    return GoogleUnavailable(f"{where.describe()}: {call or 'the call'}: cannot connect to {host}: {reason}",
                             f"check network access to {host} (proxy, firewall, VPC Service Controls, the "
                             "[endpoints] setting for this API), then retry",
                             status="UNAVAILABLE", reason="UNREACHABLE")


def _credentials(exc: BaseException, where: Where) -> GoogleApiError:
    source = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS", "")
    which = f"the credentials from GOOGLE_APPLICATION_CREDENTIALS={source}" if source else (
        "the Application Default Credentials")
    return GoogleApiError(f"{where.describe()}: {which} could not be refreshed: {refresh_reason(exc)}",
                          LOGIN_FIX, status="UNAUTHENTICATED", reason="CREDENTIALS_REFRESH_FAILED", http_code=401)


def refresh_reason(exc: BaseException) -> str:
    """Why credentials could not be refreshed: google-auth's reason (``invalid_grant: Token has been expired
    or revoked.``), or the token endpoint out of reach; never a token."""
    from google.auth import exceptions as auth_exceptions

    if isinstance(exc, auth_exceptions.TransportError):
        why = "cannot resolve the host name" if retry.name_unresolved(exc) else _requests_reason(exc)
        return f"the token endpoint {host_of(exc, 'oauth2.googleapis.com')} is out of reach ({why})"
    args = getattr(exc, "args", ())
    text = args[0] if args and isinstance(args[0], str) else str(exc)
    # gRPC wraps it: "Getting metadata from plugin failed with error: ('invalid_grant: …', {…})"
    text = re.sub(r"^.*metadata from plugin failed with error:\s*", "", text)
    quoted = re.match(r"""^\(?(['"])(.*?)\1""", text)
    return _first_line(quoted.group(2) if quoted else text) or type(exc).__name__


def _requests_reason(exc: BaseException) -> str:
    text = str(exc)
    for pattern, reason in (("Connection refused", "connection refused"), ("timed out", "connection timed out"),
                            ("RemoteDisconnected", "the connection was closed without an answer"),
                            ("Connection reset", "connection reset"), ("No route to host", "no route to host")):
        if pattern in text:
            return reason
    return type(exc).__name__


def _grpc_reason(text: str) -> str:
    for marker in _GRPC_UNREACHABLE:
        if marker in text and marker != "failed to connect to all addresses":
            return marker.lower()
    return "failed to connect"


def _short(exc: BaseException) -> str:
    return _first_line(str(exc)) or type(exc).__name__


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0][:300] if text.strip() else ""
