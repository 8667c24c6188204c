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
    assert grpc_raised.value.message == ("logging.googleapis.com (project demo-project): ListBuckets: cannot resolve "
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
    assert grpc_raised.value.message == (f"logging.googleapis.com (project demo-project): ListBuckets: cannot connect "
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


def test_grpc_reports_refused_credentials_as_unavailable_and_they_are_not_retried(revoked: Emulator,
                                                                                   key_file: Any) -> None:
    """Over gRPC, credentials that cannot be refreshed come back as UNAVAILABLE "Getting metadata from plugin
    failed": not a blip to wait out, but the credentials, named."""
    import google.auth
    import google.auth.transport.grpc
    import google.auth.transport.requests
    import grpc
    from google.cloud.logging_v2.services.config_service_v2 import ConfigServiceV2Client
    from google.cloud.logging_v2.services.config_service_v2.transports import ConfigServiceV2GrpcTransport

    from vertex_claude_setup.gcp import retry
    from vertex_claude_setup.gcp.errors import Where
    from vertex_claude_setup.gcp.failures import translate

    key_file(revoked.url + "/token")
    creds, _project = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    plugin = google.auth.transport.grpc.AuthMetadataPlugin(creds, google.auth.transport.requests.Request())
    # Google's TLS channel with per-call credentials; local channel credentials allow them to the emulator.
    channel = grpc.secure_channel(revoked.grpc_target, grpc.composite_channel_credentials(
        grpc.local_channel_credentials(), grpc.metadata_call_credentials(plugin)))
    client = ConfigServiceV2Client(transport=ConfigServiceV2GrpcTransport(channel=channel))
    with pytest.raises(retry.failures()) as raised:
        client.get_bucket(request={"name": f"projects/{P}/locations/global/buckets/_Default"}, **retry.options())
    channel.close()
    assert retry.attempts_of(raised.value) == 1
    assert len([r for r in revoked.requests if r.path == "/token"]) == 1
    err = translate(raised.value, Where("logging.googleapis.com", P), "GetBucket", revoked.grpc_target)
    assert err.message.endswith("could not be refreshed: invalid_grant: Invalid JWT Signature.")
    assert err.hint == LOGIN_FIX
