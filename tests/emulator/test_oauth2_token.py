"""The emulator's OAuth2 token endpoint, as google-auth calls it (form-encoded grants, OAuth2 error bodies)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from vertex_claude_setup.emulator import Emulator, State


@pytest.fixture
def token_endpoint(request: pytest.FixtureRequest) -> Iterator[str]:
    principal: dict[str, Any] = getattr(request, "param", {})
    emu = Emulator(State.from_scenario({"principal": principal}))
    url = emu.start()
    yield f"{url}/token"
    emu.stop()


def _service_account(token_uri: str) -> Any:
    serialization = pytest.importorskip("cryptography.hazmat.primitives.serialization")
    rsa = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.rsa")
    from google.oauth2 import service_account

    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    return service_account.Credentials.from_service_account_info({
        "type": "service_account", "project_id": "demo-project", "private_key_id": "0123", "private_key": pem,
        "client_email": "ci@demo-project.iam.gserviceaccount.com", "client_id": "1", "token_uri": token_uri},
        scopes=["https://www.googleapis.com/auth/cloud-platform"])


def test_google_auth_gets_a_token(token_endpoint: str) -> None:
    import google.auth.transport.requests

    creds = _service_account(token_endpoint)
    creds.refresh(google.auth.transport.requests.Request())
    assert creds.valid and str(creds.token).startswith("ya29.emulator-")


@pytest.mark.parametrize("token_endpoint", [{"revoked": True}], indirect=True)
def test_a_revoked_principal_gets_invalid_grant(token_endpoint: str) -> None:
    import google.auth.transport.requests
    from google.auth import exceptions

    creds = _service_account(token_endpoint)
    with pytest.raises(exceptions.RefreshError, match=r"invalid_grant: Invalid JWT Signature\."):
        creds.refresh(google.auth.transport.requests.Request())
    answer = requests.post(token_endpoint, data={"grant_type": "refresh_token", "refresh_token": "r"}, timeout=5)
    assert (answer.status_code, answer.json()) == (
        400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."})


def test_an_unknown_grant_is_refused(token_endpoint: str) -> None:
    answer = requests.post(token_endpoint, data={"grant_type": "password"}, timeout=5)
    assert (answer.status_code, answer.json()) == (
        400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type: password"})
