"""Calls that get no answer at all — a name that does not resolve, a closed port, credentials that cannot be
refreshed — end in one-line errors naming the endpoint or the credentials and the fix."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vertex_claude_setup import config
from vertex_claude_setup.emulator import Emulator, State
from vertex_claude_setup.errors import GoogleApiError
from vertex_claude_setup.gcp import bigquery, cloud_logging, projects, publisher_config
from vertex_claude_setup.gcp.session import EmulatorTarget, GoogleApis

P = "demo-project"
SONNET = "claude-sonnet-4-5@20250929"
LOGIN_FIX = ("run `gcloud auth application-default login` (or point GOOGLE_APPLICATION_CREDENTIALS at valid "
             "credentials; with --impersonate-service-account, check the impersonation)")


def _closed_port() -> int:
    with socket.socket() as sock:  # bound, never listening: connections are refused at once
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _anonymous(http: str, grpc: str) -> GoogleApis:
    return GoogleApis(config.load(None, {"project": P}, environ={}), EmulatorTarget(http=http, grpc=grpc))


def test_a_host_that_does_not_resolve_is_named_at_once() -> None:
    google = _anonymous("http://no-such-host.invalid:8089", "no-such-host.invalid:8090")
    with pytest.raises(GoogleApiError) as raised:
        projects.get_project(google, P)
    assert raised.value.message == ("cloudresourcemanager.googleapis.com (project demo-project): projects.get: "
                                    "cannot resolve the host name no-such-host.invalid:8089")
    assert raised.value.hint == "check the host name (the [endpoints] setting for this API) and DNS"
    with pytest.raises(GoogleApiError) as grpc_raised:
        cloud_logging.get_bucket(google, P)
    assert grpc_raised.value.message == ("logging.googleapis.com (project demo-project): GetBucket: cannot resolve "
                                         "the host name no-such-host.invalid:8090")


def test_a_closed_port_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERTEX_CLAUDE_RETRY_DEADLINE", "0.5")  # a refused connection is retried: it may come back
    http, grpc = _closed_port(), _closed_port()
    google = _anonymous(f"http://127.0.0.1:{http}", f"127.0.0.1:{grpc}")
    with pytest.raises(GoogleApiError) as raised:
        publisher_config.fetch(google, P, "us-east5", SONNET)
    assert raised.value.message == (
        f"aiplatform.googleapis.com (project demo-project, region us-east5, model {SONNET}): "
        f"fetchPublisherModelConfig: cannot connect to 127.0.0.1:{http}: connection refused")
    assert raised.value.hint == (f"check network access to 127.0.0.1:{http} (proxy, firewall, VPC Service Controls, "
                                 "the [endpoints] setting for this API), then retry")
    with pytest.raises(GoogleApiError) as grpc_raised:
        cloud_logging.get_bucket(google, P)
    assert grpc_raised.value.message == (f"logging.googleapis.com (project demo-project): GetBucket: cannot connect "
                                         f"to 127.0.0.1:{grpc}: connection refused")


# -- real credentials (a service account key file) against the emulator's token endpoint ------------------------
@pytest.fixture
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Writes a service account key whose ``token_uri`` is given, and points ADC at it."""
    serialization = pytest.importorskip("cryptography.hazmat.primitives.serialization")
    rsa = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.rsa")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    path = tmp_path / "key.json"

    def write(token_uri: str) -> Path:
        path.write_text(json.dumps({
            "type": "service_account", "project_id": P, "private_key_id": "0123456789abcdef", "private_key": pem,
            "client_email": f"ci@{P}.iam.gserviceaccount.com", "client_id": "100000000000000000001",
            "token_uri": token_uri}), encoding="utf-8")
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
        return path

    yield write


def _real_credentials(url: str) -> GoogleApis:
    """Application Default Credentials (the key file), every REST endpoint at ``url``."""
    names = ("serviceusage", "resourcemanager", "aiplatform", "aiplatform_global", "bigquery", "cloudquotas",
             "oauth2", "cloudbilling")
    environ = {f"VERTEX_CLAUDE_ENDPOINTS_{name.upper()}": url for name in names}
    return GoogleApis(config.load(None, {"project": P}, environ=environ))


@pytest.fixture
def revoked() -> Iterator[Emulator]:
    emu = Emulator(State.from_scenario({"principal": {"email": f"ci@{P}.iam.gserviceaccount.com",
                                                      "type": "service_account", "revoked": True}}))
    emu.start()
    yield emu
    emu.stop()


def test_revoked_credentials_are_named_with_the_fix(revoked: Emulator, key_file: Any) -> None:
    path = key_file(revoked.url + "/token")
    google = _real_credentials(revoked.url)
    for call in (lambda: bigquery.get_dataset(google, P, "claude_logs"),
                 lambda: publisher_config.fetch(google, P, "us-east5", SONNET)):
        with pytest.raises(GoogleApiError) as raised:
            call()
        assert raised.value.message.endswith(f": the credentials from GOOGLE_APPLICATION_CREDENTIALS={path} could "
                                             "not be refreshed: invalid_grant: Invalid JWT Signature.")
        assert raised.value.hint == LOGIN_FIX
    token_requests = [r for r in revoked.requests if r.path == "/token"]
    assert len(token_requests) == 2  # one per client: a refused grant is not retried


def test_an_unreachable_token_endpoint_is_named(revoked: Emulator, key_file: Any,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERTEX_CLAUDE_RETRY_DEADLINE", "0.5")  # a refused connection is retried: it may come back
    port = _closed_port()
    key_file(f"http://127.0.0.1:{port}/token")
    google = _real_credentials(revoked.url)
    with pytest.raises(GoogleApiError) as raised:
        bigquery.get_dataset(google, P, "claude_logs")
    assert raised.value.message == (
        "bigquery.googleapis.com (project demo-project): datasets.get: cannot refresh the Google credentials: the "
        f"token endpoint 127.0.0.1:{port} is out of reach (connection refused)")
    assert raised.value.hint == f"check network access to 127.0.0.1:{port} (proxy, firewall, DNS), then retry"
