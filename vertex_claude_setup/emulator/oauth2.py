"""OAuth2: token introspection (``https://oauth2.googleapis.com/tokeninfo``) for ``doctor``, and the token
endpoint (``POST https://oauth2.googleapis.com/token``) that google-auth refreshes credentials at (credential
files whose ``token_uri`` points here).

The token may come to tokeninfo as ``Authorization: Bearer`` (what Google's own auth libraries send, on a POST)
or as the ``access_token`` query parameter (the documented GET form).

The scenario names who holds the token: ``[principal] email = "..."  type = "user" | "service_account"``.
Without one the emulator's bearer is anonymous: the answer carries no email, as for a token minted
without the email scope. ``[principal] revoked = true`` makes the token endpoint refuse every grant as
Google does for a revoked or expired refresh token (``400 invalid_grant``).
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



@handles_path("POST", r"^/token$")
def token(req: Request) -> Response:
    """The token endpoint: a form-encoded grant (refresh token, or a signed JWT for a service account)."""
    form = req.body if isinstance(req.body, dict) else {}
    grant = str(form.get("grant_type", ""))
    if grant not in {"refresh_token", "urn:ietf:params:oauth:grant-type:jwt-bearer"}:
        return Response(status=400, body={"error": "unsupported_grant_type",
                                          "error_description": f"Invalid grant_type: {grant}"})
    if grant == "refresh_token" and not form.get("refresh_token"):
        return Response(status=400, body={"error": "invalid_request", "error_description": "Missing required "
                                                                                            "parameter: refresh_token"})
    if _principal(req).get("revoked"):
        # Google's words: a revoked or expired refresh token; a service account key that was deleted.
        why = "Token has been expired or revoked." if grant == "refresh_token" else "Invalid JWT Signature."
        return Response(status=400, body={"error": "invalid_grant", "error_description": why})
    minted = hashlib.sha256(f"{time.time()}".encode()).hexdigest()[:32]
    return Response(body={"access_token": f"ya29.emulator-{minted}", "expires_in": 3599, "scope": SCOPE,
                          "token_type": "Bearer"})
