"""doctor on real ADC files: the type, principal and impersonation chain come from google-auth's own classes.

Nothing here reaches Google: every token endpoint in the files is a closed local port, so minting a token
fails fast and doctor stops at the credentials, having described them.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .conftest import Run

Runner = Callable[..., Run]
SA = "ci-deployer@demo-project.iam.gserviceaccount.com"
TARGET = "vertex-admin@demo-project.iam.gserviceaccount.com"


def _closed_url(path: str) -> str:
    with socket.socket() as sock:  # bound, never listening: connections are refused at once
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


def _service_account_key() -> dict[str, Any]:
    serialization = pytest.importorskip("cryptography.hazmat.primitives.serialization")
    rsa = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.rsa")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return {"type": "service_account", "project_id": "demo-project", "private_key_id": "0123456789abcdef",
            "private_key": pem, "client_email": SA, "client_id": "100000000000000000001",
            "token_uri": _closed_url("/token")}


def _authorized_user() -> dict[str, Any]:
    return {"type": "authorized_user", "client_id": "32555940559.apps.googleusercontent.com",
            "client_secret": "not-a-secret", "refresh_token": "not-a-token", "token_uri": _closed_url("/token")}


def _doctor(run: Runner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, adc: dict[str, Any]) -> dict[str, Any]:
    path = tmp_path / "adc.json"
    path.write_text(json.dumps(adc), encoding="utf-8")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    result = run("doctor", "--json")
    assert result.code == 1, result.out
    identity: dict[str, Any] = json.loads(result.out)["identity"]
    assert identity["source"] == f"GOOGLE_APPLICATION_CREDENTIALS={path}"
    assert identity["error"].startswith(f"the credentials from GOOGLE_APPLICATION_CREDENTIALS={path} "
                                        "could not mint a token"), identity
    return identity


def test_service_account_key_file(run: Runner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    ident = _doctor(run, monkeypatch, tmp_path, _service_account_key())
    assert (ident["type"], ident["principal"], ident["impersonation_chain"]) == (
        "service account (key file)", SA, [])


def test_impersonated_adc_names_the_whole_chain(run: Runner, monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    adc = {"type": "impersonated_service_account", "delegates": [SA],
           "service_account_impersonation_url": _closed_url(
               f"/v1/projects/-/serviceAccounts/{TARGET}:generateAccessToken"),
           "source_credentials": _authorized_user()}
    ident = _doctor(run, monkeypatch, tmp_path, adc)
    assert (ident["type"], ident["principal"], ident["impersonation_chain"]) == (
        "impersonated service account", TARGET, ["(user)", SA, TARGET])
    assert ident["fix"] == "run `gcloud auth application-default login` and check impersonation"


def test_workload_identity_federation_file(run: Runner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    subject = tmp_path / "oidc-token"
    subject.write_text("not-a-jwt", encoding="utf-8")
    adc = {"type": "external_account",
           "audience": "//iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/ci/"
                       "providers/github",
           "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
           "token_url": _closed_url("/v1/token"),
           "service_account_impersonation_url": _closed_url(
               f"/v1/projects/-/serviceAccounts/{TARGET}:generateAccessToken"),
           "credential_source": {"file": str(subject)}}
    ident = _doctor(run, monkeypatch, tmp_path, adc)
    assert (ident["type"], ident["principal"], ident["impersonation_chain"]) == (
        "external account (workload identity federation)", TARGET, [TARGET])
    assert "sts.googleapis.com is reachable" in ident["fix"]
    # google.auth.default trades these credentials for a token while loading them: every other command
    # says so in one line instead of a traceback.
    plan = run("plan")
    assert plan.code == 1
    assert ("Error: project: the Application Default Credentials could not mint a token: TransportError\n"
            "  fix: run `vertex-claude-setup doctor` to see which credentials and why\n") in plan.out + plan.err
