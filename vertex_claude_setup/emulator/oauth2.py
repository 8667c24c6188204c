"""OAuth2 token introspection (``https://oauth2.googleapis.com/tokeninfo``) for ``doctor``.

The token may come as ``Authorization: Bearer`` (what Google's own auth libraries send, on a POST) or as
the ``access_token`` query parameter (the documented GET form).

The scenario names who holds the token: ``[principal] email = "..."  type = "user" | "service_account"``.
Without one the emulator's bearer is anonymous: the answer carries no email, as for a token minted
without the email scope.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from .server import Request, Response, handles_path

SCOPE = "https://www.googleapis.com/auth/cloud-platform"


def _principal(req: Request) -> dict[str, Any]:
    principal = req.state.data.get("principal")
    return principal if isinstance(principal, dict) else {}


def _invalid_token() -> Response:
    # Google answers a bad token with a bare OAuth2 error object, not the usual {"error": {...}} envelope.
    return Response(status=400, body={"error": "invalid_token", "error_description": "Invalid Value"})


def _token(req: Request) -> str:
    """The token as Google's tokeninfo takes it: ``Authorization: Bearer``, or the ``access_token`` parameter."""
    scheme, _, credentials = req.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return req.q("access_token")


@handles_path("GET", r"^/tokeninfo$")
@handles_path("POST", r"^/tokeninfo$")
def tokeninfo(req: Request) -> Response:
    """The v3 tokeninfo JSON: ``azp, aud, sub, scope, exp, expires_in`` (+ ``email`` when known)."""
    if not _token(req):
        return _invalid_token()
    principal = _principal(req)
    if principal.get("token_valid") is False:
        return _invalid_token()
    expires_in = int(principal.get("expires_in", 3599))
    body: dict[str, Any] = {
        "azp": str(principal.get("client_id", "32555940559.apps.googleusercontent.com")),
        "aud": str(principal.get("client_id", "32555940559.apps.googleusercontent.com")),
        "scope": str(principal.get("scope", SCOPE)),
        "exp": str(int(time.time()) + expires_in),
        "expires_in": str(expires_in),
        "access_type": "online",
    }
    email = principal.get("email")
    if email:
        digest = int(hashlib.sha256(str(email).encode()).hexdigest()[:15], 16)
        body["sub"] = str(principal.get("sub", f"1{digest:020d}"[:21]))
        body["email"] = str(email)
        body["email_verified"] = "true"
    return Response(body=body)
