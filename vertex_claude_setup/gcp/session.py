"""Credentials and endpoints for every Google API the tool calls, built lazily.

Real Google: Application Default Credentials (``google.auth.default``), optional impersonation and
quota project. Emulator (``--emulator`` or ``VERTEX_CLAUDE_EMULATOR_HOST``): anonymous credentials
and every endpoint pointed at the emulator.
"""

from __future__ import annotations

import functools
import os
import threading
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from vertex_claude_setup import urls
from vertex_claude_setup.errors import SetupError

if TYPE_CHECKING:
    from vertex_claude_setup.config import Config

    from .ratelimit import RateLimiter

SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]
EMULATOR_TOKEN = "emulator-token"  # never a real token; the emulator accepts any bearer
# The anthropic_version Vertex AI documents for Claude request bodies; the SDK's own default differs.
VERTEX_ANTHROPIC_VERSION = "vertex-2023-10-16"


@dataclass(frozen=True)
class EmulatorTarget:
    """Where an emulator listens: one HTTP address for every REST API, one gRPC target for Logging."""

    http: str  # "http://127.0.0.1:8089"
    grpc: str  # "127.0.0.1:8090"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> EmulatorTarget | None:
        """``VERTEX_CLAUDE_EMULATOR_HOST=host:port`` (+ optional ``VERTEX_CLAUDE_EMULATOR_GRPC_HOST``)."""
        env = os.environ if environ is None else environ
        host = env.get("VERTEX_CLAUDE_EMULATOR_HOST", "").strip()
        if not host:
            return None
        host = host.removeprefix("http://")
        name, _, port = host.rpartition(":")
        if not urls.is_host_port(host) or int(port) == 65535:  # gRPC defaults to the next port
            raise SetupError(f"VERTEX_CLAUDE_EMULATOR_HOST={host!r} is not host:port",
                             "set it like VERTEX_CLAUDE_EMULATOR_HOST=localhost:8089")
        grpc = env.get("VERTEX_CLAUDE_EMULATOR_GRPC_HOST", "").strip() or f"{name}:{int(port) + 1}"
        if not urls.is_host_port(grpc):
            raise SetupError(f"VERTEX_CLAUDE_EMULATOR_GRPC_HOST={grpc!r} is not host:port",
                             "set it like VERTEX_CLAUDE_EMULATOR_GRPC_HOST=localhost:8090, or unset it")
        return cls(http=f"http://{host}", grpc=grpc)


def missing_credentials_file() -> SetupError | None:
    """GOOGLE_APPLICATION_CREDENTIALS naming a file that is not there is that, not "no credentials found"."""
    named = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS", "")
    if named and not os.path.exists(named):
        return SetupError(f"GOOGLE_APPLICATION_CREDENTIALS names {named}, which does not exist",
                          "point it at an existing credentials file, or unset it to use gcloud's "
                          "(`gcloud auth application-default login`)")
    return None


def vertex_host(region: str) -> str:
    """The Google host serving a Vertex location: ``global`` and the multi-regions have their own."""
    if region == "global":
        return "aiplatform.googleapis.com"
    if region in {"us", "eu"}:
        return f"aiplatform.{region}.rep.googleapis.com"
    return f"{region}-aiplatform.googleapis.com"


# Clients of client-based APIs: their quota project is the caller's, whichever project they are about,
# so every project of a fleet run may share them (and their connection pools).
SHARED_CLIENTS = frozenset({"projects", "folders", "serviceusage", "cloudquotas"})


class GoogleApis:
    """Lazily built credentials, endpoints and clients for one config (thread-safe).

    With a ``limiter`` (fleet runs) every request first takes a slot of its API's rate limit.
    """

    def __init__(self, config: Config, emulator: EmulatorTarget | None = None,
                 limiter: RateLimiter | None = None) -> None:
        self.config = config
        self.emulator = emulator
        self.limiter = limiter
        self._lock = threading.RLock()  # a client's build asks for its credentials under the same lock
        self._clients: dict[str, Any] = {}
        from .propagation import Propagation

        # This run's enabled services: a SERVICE_DISABLED from one of them is propagation, waited out (bounded).
        self.propagation = Propagation()
        self._shared: dict[str, Any] = {}
        self._throttled: dict[str, Any] = {}

    def for_project(self, config: Config) -> GoogleApis:
        """Another project's access: the same credentials, rate limits and shareable clients."""
        other = GoogleApis(config, self.emulator, self.limiter)
        other._lock = self._lock
        other._shared = self._shared
        other.__dict__["credentials"] = self.credentials
        return other

    # -- rate limits (fleet runs) ----------------------------------------------------------
    def consumer(self, api: str) -> str:
        """The consumer project Google charges ``api``'s quota to for this project's calls."""
        from .ratelimit import consumer_for

        return consumer_for(api, self.config.project, self.config.quota_project)

    def credentials_for(self, api: str) -> Any:
        """The credentials for one API's client: rate limited per request when there is a limiter."""
        if self.limiter is None:
            return self.credentials
        from .ratelimit import throttled_credentials

        creds = self.credentials
        with self._lock:
            if api not in self._throttled:
                self._throttled[api] = throttled_credentials(creds, self.limiter, api, self.consumer(api))
            return self._throttled[api]

    def throttle(self, api: str) -> None:
        """Wait for a slot of ``api``'s rate limit (calls not made through google-auth: the anthropic SDK)."""
        if self.limiter is not None:
            self.limiter.acquire(api, self.consumer(api))

    async def athrottle(self, api: str) -> None:
        if self.limiter is not None:
            await self.limiter.acquire_async(api, self.consumer(api))

    def retry_after(self, api: str, seconds: float) -> None:
        """Google answered 429 with RetryInfo: hold ``api``'s bucket for this consumer that long."""
        if self.limiter is not None:
            self.limiter.pause(api, self.consumer(api), seconds)

    # -- endpoints -------------------------------------------------------------------------
    def endpoint(self, api: str) -> str:
        """Base URL of a REST API (``serviceusage``, ``resourcemanager``, ``bigquery``…)."""
        if self.emulator:
            return self.emulator.http
        return self.config.endpoints[api]

    def vertex_endpoint(self, region: str) -> str:
        """Base URL (no ``/v1``) of the Vertex AI host that serves ``region``."""
        if self.emulator:
            return self.emulator.http
        from vertex_claude_setup.catalog import regions

        info = regions().get(region)
        if region == "global":
            return self.config.endpoints["aiplatform_global"]
        if info is not None and info.kind == "multi-region":
            return f"https://{info.host}"
        return self.config.endpoints["aiplatform"].replace("{region}", region)

    def claude_base_url(self, region: str) -> str:
        """``base_url`` for AnthropicVertex: a configured gateway, the emulator, or the region's host.

        Under the emulator it is the emulator's address with Google's own ``/v1`` path: the Google host the
        call is meant for travels in the ``Host`` header (``vertex_headers``), as through a proxy.
        """
        if self.config.endpoints.get("claude") and not self.emulator:
            return self.config.endpoints["claude"].replace("{region}", region).rstrip("/")
        return self.vertex_endpoint(region).rstrip("/") + "/v1"

    def vertex_headers(self, region: str) -> dict[str, str]:
        """Headers every Vertex AI call for ``region`` carries: under the emulator, ``Host`` names the Google
        host that serves ``region`` (so it can tell a regional host from the global one); none for Google."""
        return {"Host": vertex_host(region)} if self.emulator else {}

    def logging_target(self) -> str:
        """gRPC ``host:port`` of Cloud Logging (ConfigServiceV2 has no REST transport)."""
        return self.emulator.grpc if self.emulator else self.config.endpoints["logging"]

    # -- credentials -----------------------------------------------------------------------
    @cached_property
    def credentials(self) -> Any:
        """ADC (optionally impersonated, with quota project); anonymous under the emulator."""
        if self.emulator:
            from google.auth.credentials import AnonymousCredentials

            return AnonymousCredentials()
        import google.auth
        from google.auth import exceptions as auth_exceptions

        try:
            creds, _project = google.auth.default(scopes=SCOPES, quota_project_id=self.config.quota_project or None)
        except auth_exceptions.DefaultCredentialsError:
            missing = missing_credentials_file()
            if missing is not None:
                raise missing from None
            raise SetupError("no Google credentials found (Application Default Credentials)",
                             "run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS "
                             "to a key file, or use --emulator") from None
        except auth_exceptions.GoogleAuthError as exc:
            # External-account (workload identity federation) ADC is traded for a token while it loads.
            raise SetupError(f"the Application Default Credentials could not mint a token: {type(exc).__name__}",
                             "run `vertex-claude-setup doctor` to see which credentials and why") from None
        if self.config.impersonate_service_account:
            from google.auth import impersonated_credentials

            creds = impersonated_credentials.Credentials(
                source_credentials=creds, target_principal=self.config.impersonate_service_account,
                target_scopes=SCOPES, lifetime=3600)
            if self.config.quota_project:
                creds = creds.with_quota_project(self.config.quota_project)
        return creds

    def access_token(self) -> str:
        """A fresh bearer token for the anthropic SDK. Never printed or saved."""
        if self.emulator:
            return EMULATOR_TOKEN
        import google.auth.transport.requests

        creds = self.credentials
        with self._lock:
            if not creds.valid:
                from vertex_claude_setup.gcp import retry

                # google-auth waits 120 s for the token endpoint by default: no longer than one attempt here.
                request = functools.partial(google.auth.transport.requests.Request(), timeout=retry.attempt_timeout())
                try:
                    creds.refresh(request)
                except Exception as exc:  # google.auth.exceptions.RefreshError and transport errors
                    from .failures import refresh_reason

                    raise SetupError(f"could not get an access token: {type(exc).__name__}: {refresh_reason(exc)}",
                                     "run `gcloud auth application-default login` and check impersonation") from None
            return str(creds.token)

    # -- clients ---------------------------------------------------------------------------
    def per_command(self, key: str, build: Any) -> Any:
        """One object per command (this access layer lives as long as the command), built on first use:
        state the callers of one command share, such as the probe answers its steps share."""
        return self._cached(f"command:{key}", build)

    def _cached(self, key: str, build: Any) -> Any:
        clients = self._shared if key in SHARED_CLIENTS else self._clients
        with self._lock:
            if key not in clients:
                clients[key] = build()
            return clients[key]

    def close(self, *, shared: bool = False) -> None:
        """Close this project's clients (and, with ``shared``, the run's shared ones): a fleet opens hundreds."""
        with self._lock:
            clients = [*self._clients.values(), *(self._shared.values() if shared else ())]
            self._clients.clear()
            if shared:
                self._shared.clear()
        for client in clients:
            closer = getattr(client, "close", None) or getattr(getattr(client, "transport", None), "close", None)
            if closer is not None:
                closer()

    def client_options(self, api: str) -> dict[str, str]:
        return {"api_endpoint": self.endpoint(api)}

    def projects_client(self) -> Any:
        """``resourcemanager_v3.ProjectsClient`` over REST."""

        def build() -> Any:
            from google.cloud import resourcemanager_v3

            return resourcemanager_v3.ProjectsClient(
                credentials=self.credentials_for("cloudresourcemanager.googleapis.com"), transport="rest",
                client_options=self.client_options("resourcemanager"))

        return self._cached("projects", build)

    def folders_client(self) -> Any:
        """``resourcemanager_v3.FoldersClient`` over REST."""

        def build() -> Any:
            from google.cloud import resourcemanager_v3

            return resourcemanager_v3.FoldersClient(
                credentials=self.credentials_for("cloudresourcemanager.googleapis.com"), transport="rest",
                client_options=self.client_options("resourcemanager"))

        return self._cached("folders", build)

    def service_usage_client(self) -> Any:
        """``service_usage_v1.ServiceUsageClient`` over REST."""

        def build() -> Any:
            from google.cloud import service_usage_v1

            return service_usage_v1.ServiceUsageClient(
                credentials=self.credentials_for("serviceusage.googleapis.com"), transport="rest",
                client_options=self.client_options("serviceusage"))

        return self._cached("serviceusage", build)

    def model_garden_client(self) -> Any:
        """``aiplatform_v1beta1.ModelGardenServiceClient`` over REST on the global Vertex AI host.

        Imported here, on first use only: the package loads every v1beta1 service (about a second), which
        a command that does not read Model Garden must never pay for.
        """

        def build() -> Any:
            from google.cloud.aiplatform_v1beta1.services.model_garden_service import ModelGardenServiceClient

            return ModelGardenServiceClient(credentials=self.credentials_for("aiplatform.googleapis.com"),
                                            transport="rest",
                                            client_options={"api_endpoint": self.vertex_endpoint("global")})

        return self._cached("model_garden", build)

    def org_policy_client(self) -> Any:
        """``orgpolicy_v2.OrgPolicyClient`` over REST (google-cloud-org-policy)."""

        def build() -> Any:
            from google.cloud.orgpolicy_v2.services.org_policy import OrgPolicyClient

            return OrgPolicyClient(credentials=self.credentials_for("orgpolicy.googleapis.com"), transport="rest",
                                   client_options=self.client_options("orgpolicy"))

        return self._cached("orgpolicy", build)

    def anthropic_client(self, region: str, *, asynchronous: bool = False, max_retries: int = 0,
                         timeout: float | None = None, http_client: Any = None) -> Any:
        """``AnthropicVertex`` (or ``AsyncAnthropicVertex``) for ``region``, pointed at the right host.

        ``http_client`` lets many region clients share one connection pool (and one TLS context, which
        costs ~40 ms of CPU to build).
        """
        from anthropic import AnthropicVertex, AsyncAnthropicVertex

        cls: Any = AsyncAnthropicVertex if asynchronous else AnthropicVertex
        extra: dict[str, Any] = {"http_client": http_client} if http_client is not None else {}
        if self.vertex_headers(region):
            extra["default_headers"] = self.vertex_headers(region)
        return cls(project_id=self.config.project, region=region, base_url=self.claude_base_url(region),
                   access_token=self.access_token(), max_retries=max_retries,
                   timeout=timeout if timeout is not None else _one_deadline(), **extra)

    def authorized_session(self, api: str = "aiplatform.googleapis.com") -> Any:
        """A google-auth ``AuthorizedSession`` for JSON calls the generated clients cannot make faithfully."""
        if self.limiter is None:
            api = ""  # one session for every API: nothing to count per API

        def build() -> Any:
            from google.auth.transport.requests import AuthorizedSession

            return AuthorizedSession(self.credentials_for(api) if api else self.credentials)

        return self._cached(f"session{':' + api if api else ''}", build)


def _one_deadline() -> float:
    """A Claude call's timeout when none is given: the one deadline every Google call sits under
    (``VERTEX_CLAUDE_RETRY_DEADLINE``, 60 s by default), so a stalled smoke test never outlasts it."""
    from vertex_claude_setup.gcp.retry import RetryPolicy

    return RetryPolicy.from_env().deadline
