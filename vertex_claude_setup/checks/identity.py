"""Who is calling Google: ADC discovery, the principal and its type, quota project, impersonation chain.

For ``doctor``. The principal's email comes from the credentials themselves where they carry it
(service account keys, impersonation targets) and otherwise from OAuth2 token introspection
(``oauth2.googleapis.com/tokeninfo``). The token itself is never printed, logged or saved.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from typing import Any

from vertex_claude_setup.gcp.session import SCOPES, GoogleApis, missing_credentials_file

EXTERNAL_FIX = ("check the credential configuration file (audience, token_url, credential_source) and that "
                "sts.googleapis.com is reachable; `gcloud auth application-default login` replaces it")
LOGIN_FIX = ("run `gcloud auth application-default login` (or set GOOGLE_APPLICATION_CREDENTIALS to a "
             "credentials file)")


@dataclass
class Identity:
    """What ``doctor`` prints about the caller. ``error`` set means no usable credentials."""

    source: str = ""
    principal: str = ""
    kind: str = ""
    quota_project: str = ""
    chain: list[str] = field(default_factory=list)
    scopes: str = ""
    error: str = ""
    hint: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.error

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "principal": self.principal or None, "type": self.kind or None,
                "quota_project": self.quota_project or None, "impersonation_chain": self.chain,
                "error": self.error or None, "fix": self.hint or None, "warnings": self.warnings}


def _adc_source() -> tuple[str, str]:
    """Where ``google.auth.default`` looks first: the env var, gcloud's well-known file, or the metadata
    server; as (what doctor prints, the credentials file or "")."""
    env = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    if env:
        return f"GOOGLE_APPLICATION_CREDENTIALS={env}", env
    from google.auth import _cloud_sdk

    path = _cloud_sdk.get_application_default_credentials_path()
    if os.path.exists(path):
        return f"gcloud application-default credentials ({path})", path
    return "the metadata server (Compute Engine, Cloud Run, GKE…)", ""


def _first_line(exc: Exception, default: str = "") -> str:
    """google-auth's message in one line (its messages name files and endpoints, never a token)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else default


def _auth_failure(exc: Exception) -> str:
    text = _first_line(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _external_account_offline(path: str) -> Any:
    """The external-account credentials in ``path``, built as ``google.auth.default`` builds them but
    without the token exchange it then makes to find their project (None for any other type)."""
    import json

    from google.auth import aws, identity_pool, pluggable

    with open(path, encoding="utf-8") as handle:
        info = json.load(handle)
    if not isinstance(info, dict) or info.get("type") != "external_account":
        return None
    if info.get("subject_token_type") == "urn:ietf:params:aws:token-type:aws4_request":
        return aws.Credentials.from_info(info, scopes=SCOPES)
    if (info.get("credential_source") or {}).get("executable") is not None:
        return pluggable.Credentials.from_info(info, scopes=SCOPES)
    return identity_pool.Credentials.from_info(info, scopes=SCOPES)


def _describe(creds: Any) -> tuple[str, str, list[str]]:
    """(type, principal if the credentials carry it, impersonation chain) from the credentials class."""
    from google.auth import compute_engine, external_account, impersonated_credentials
    from google.oauth2 import credentials as user_credentials
    from google.oauth2 import service_account

    if isinstance(creds, impersonated_credentials.Credentials):
        source_kind, source_principal, _ = _describe(creds._source_credentials)
        target = str(creds._target_principal)
        chain = [source_principal or f"({source_kind})", *[str(d) for d in creds._delegates or ()], target]
        return "impersonated service account", target, chain
    if isinstance(creds, service_account.Credentials):
        return "service account (key file)", str(creds.service_account_email), []
    if isinstance(creds, compute_engine.Credentials):
        email = str(creds.service_account_email)
        return "service account (metadata server)", "" if email == "default" else email, []
    if isinstance(creds, external_account.Credentials):
        email = creds.service_account_email or ""
        return "external account (workload identity federation)", str(email), [str(email)] if email else []
    if type(creds).__module__.endswith("external_account_authorized_user"):
        return "external account (workforce identity federation)", "", []
    if isinstance(creds, user_credentials.Credentials):
        return "user", str(getattr(creds, "account", "") or ""), []
    return type(creds).__name__, "", []


def tokeninfo(google: GoogleApis, token: str) -> dict[str, Any]:
    """OAuth2 token introspection; ``{}`` when it does not answer (errors never echo the token or URL).

    The token goes in the ``Authorization`` header of a POST, as Google's own auth library sends it
    (google-auth-library-nodejs ``getTokenInfo``), never in the URL, where proxies and access logs keep it.
    """
    import requests

    from vertex_claude_setup.gcp import retry

    url = google.endpoint("oauth2").rstrip("/") + "/tokeninfo"
    try:
        resp = requests.post(url, headers={"Authorization": f"Bearer {token}",
                                           "Content-Type": "application/x-www-form-urlencoded"},
                             timeout=retry.attempt_timeout(15))
    except requests.RequestException:
        return {}
    if resp.status_code != 200:
        return {}
    try:
        body = resp.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _kind_from_email(email: str) -> str:
    return "service account" if email.endswith(".gserviceaccount.com") else "user"


def discover(apis: GoogleApis) -> Identity:
    """Find the credentials the tool would use and describe them, without printing any secret."""
    config = apis.config
    if apis.emulator is not None:
        ident = Identity(source=f"emulator at {apis.emulator.http} (anonymous credentials)",
                         quota_project=config.quota_project)
        info = tokeninfo(apis, apis.access_token())
        email = str(info.get("email") or "")
        ident.principal, ident.kind = (email, _kind_from_email(email)) if email else ("", "emulator anonymous")
        ident.scopes = str(info.get("scope") or "")
        if config.impersonate_service_account:
            ident.chain = [ident.principal or "(anonymous)", config.impersonate_service_account]
            ident.principal, ident.kind = config.impersonate_service_account, "impersonated service account"
        return ident
    import google.auth
    from google.auth import exceptions as auth_exceptions

    source, path = _adc_source()
    ident = Identity(source=source)
    try:
        adc, _project = google.auth.default(scopes=SCOPES)
    except auth_exceptions.DefaultCredentialsError as exc:
        ident.error = f"no Application Default Credentials: {_first_line(exc, 'not found')}"
        ident.hint = LOGIN_FIX
        missing = missing_credentials_file()
        if missing is not None:
            ident.error, ident.hint = missing.message, missing.hint
        if not path:  # the metadata server was the last place ADC looked, and it was not there
            ident.source = "none found (no GOOGLE_APPLICATION_CREDENTIALS, no gcloud ADC file, no metadata server)"
        return ident
    except auth_exceptions.GoogleAuthError as exc:
        # For external accounts google.auth.default trades the credentials for a token to find their
        # project; when that fails, the file is still described and the failure reported as what it is.
        ident.error = f"the credentials from {source} could not mint a token: {_auth_failure(exc)}"
        ident.hint = EXTERNAL_FIX
        with contextlib.suppress(ValueError, OSError, auth_exceptions.GoogleAuthError):
            external = _external_account_offline(path) if path else None
            if external is not None:
                ident.kind, ident.principal, ident.chain = _describe(external)
        return ident
    ident.kind, ident.principal, ident.chain = _describe(adc)
    ident.quota_project = config.quota_project or str(getattr(adc, "quota_project_id", None) or "")
    if config.impersonate_service_account:
        ident.chain = [*(ident.chain or [ident.principal or f"({ident.kind})"]), config.impersonate_service_account]
    try:
        token = apis.access_token()  # the credentials the tool really uses (impersonation included)
    except Exception as exc:
        message = getattr(exc, "message", "") or type(exc).__name__
        ident.error = f"the credentials from {ident.source} could not mint a token: {message}"
        ident.hint = getattr(exc, "hint", "") or LOGIN_FIX
        return ident
    info = tokeninfo(apis, token)
    email = str(info.get("email") or "")
    if config.impersonate_service_account:
        if ident.chain and ident.chain[0].startswith("(") and email:
            ident.chain[0] = email
        ident.principal, ident.kind = config.impersonate_service_account, "impersonated service account"
    elif email and not ident.principal:
        ident.principal = email
    ident.scopes = str(info.get("scope") or "")
    if ident.kind == "user" and not ident.quota_project:
        ident.warnings.append("user credentials without a quota project: some APIs refuse them or bill another "
                              f"project; run `gcloud auth application-default set-quota-project {config.project}`")
    return ident
