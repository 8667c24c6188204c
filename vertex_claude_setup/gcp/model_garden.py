"""Vertex AI Model Garden (v1beta1): Anthropic's publisher models, EULA acceptance, enabling a model.

Model Garden is not regional: every call goes to the global Vertex AI host (under the emulator the ``Host``
header names it). Reads go through the generated ``aiplatform_v1beta1`` ``ModelGardenServiceClient`` (REST),
imported only here, on first use; ``enableModel`` is sent as JSON through the authorized session.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from vertex_claude_setup.catalog import model_garden_url
from vertex_claude_setup.errors import GoogleApiError, SetupError
from vertex_claude_setup.gcp import propagation, retry

from .errors import Where
from .session import GoogleApis
from .vertex import HttpError, request_json

if TYPE_CHECKING:
    from vertex_claude_setup.catalog.live import LiveCatalog

__all__ = ["ENABLE_PERMISSIONS", "Enablement", "PublisherModel", "model_garden_url"]
T = TypeVar("T")
API = "aiplatform.googleapis.com"
PUBLISHER = "anthropic"
GLOBAL = "global"
_DATE_VERSION = re.compile(r"^\d{8}$")
# Enabling a partner model needs the Consumer Procurement Entitlement Manager role
# (roles/consumerprocurement.entitlementManager): these are the permissions of that role enabling uses.
# The one list of them: doctor tests them, gcp/permissions.py maps each to that role.
ENABLE_PERMISSIONS: tuple[str, ...] = ("consumerprocurement.entitlements.get", "consumerprocurement.consents.check",
                                       "consumerprocurement.consents.grant")
SUCCEEDED, FAILED = "ENABLEMENT_STATE_SUCCEEDED", "ENABLEMENT_STATE_FAILED"


@dataclass(frozen=True)
class PublisherModel:
    """One version of an Anthropic publisher model as Model Garden lists it."""

    model: str  # the model part of publishers/anthropic/models/{model}
    version_id: str
    launch_stage: str = ""  # GA, PUBLIC_PREVIEW, … ("" when Google did not say)
    version_state: str = ""  # VERSION_STATE_STABLE / VERSION_STATE_UNSTABLE

    @property
    def vertex_id(self) -> str:
        return vertex_id(self.model, self.version_id)


def vertex_id(model: str, version_id: str) -> str:
    """The id Vertex AI serves a publisher model version under.

    Claude's pinned versions are dates (``claude-sonnet-4-5@20250929``, Google's model table); a model whose
    version id is not a date (``001``) is called by its name alone (``claude-opus-4-6``).
    """
    if "@" in model:
        return model
    return f"{model}@{version_id}" if _DATE_VERSION.match(version_id) else model


def resource_name(model_id: str) -> str:
    """``publishers/anthropic/models/{model}`` for a Vertex id (the version is not part of the resource)."""
    return f"publishers/{PUBLISHER}/models/{model_id.split('@')[0]}"


def _metadata(google: GoogleApis) -> tuple[tuple[str, str], ...]:
    return tuple((name.lower(), value) for name, value in google.vertex_headers(GLOBAL).items())


def _unreachable(exc: Exception, where: Where) -> SetupError:
    return SetupError(f"{where.describe()}: cannot reach Vertex AI Model Garden: {type(exc).__name__}",
                      "check the network path (proxy, VPC Service Controls, [endpoints] aiplatform_global)")


def _call(google: GoogleApis, where: Where, call: str, fn: Callable[[], T]) -> T:
    """One generated-client call (made with ``retry.options()``: our retry and attempt timeout, never the
    client's own) in one deadline; what it raises, a one-line error naming ``call``."""
    from .failures import translate

    def scoped() -> T:
        with retry.scope():
            return fn()

    try:
        return propagation.call(google.propagation, scoped)
    except retry.failures() as exc:
        error = translate(exc, where, call, google.vertex_endpoint(GLOBAL))
        raise (google.propagation.still_disabled(error, API) if error.reason == "SERVICE_DISABLED" else error) from None


def _from_proto(item: Any) -> PublisherModel:
    last = str(item.name).rsplit("/", 1)[-1]
    model, _, version = last.partition("@")

    def enum(value: Any, unset: str) -> str:
        name = str(getattr(value, "name", "") or "")
        return "" if name == unset else name

    return PublisherModel(model=model, version_id=str(item.version_id or version),
                          launch_stage=enum(item.launch_stage, "LAUNCH_STAGE_UNSPECIFIED"),
                          version_state=enum(item.version_state, "VERSION_STATE_UNSPECIFIED"))


def get_model(google: GoogleApis, project: str, name: str) -> PublisherModel:
    """``GetPublisherModel`` for ``publishers/anthropic/models/{model}[@{version}]``: launch stage, version state."""
    client = google.model_garden_client()
    where = Where(API, project, GLOBAL, name.rsplit("/", 1)[-1])
    return _from_proto(_call(google, where, "GetPublisherModel", lambda: client.get_publisher_model(
        request={"name": name}, metadata=_metadata(google), **retry.options())))


def list_models(google: GoogleApis, project: str) -> list[PublisherModel]:
    """Every version of every Anthropic publisher model (``ListPublisherModels``, all versions, every page),
    each completed by ``GetPublisherModel`` (the list's basic view may leave launch stage and state out)."""
    client = google.model_garden_client()
    where = Where(API, project, GLOBAL)
    request = {"parent": f"publishers/{PUBLISHER}", "list_all_versions": True}
    listed = _call(google, where, "ListPublisherModels", lambda: [
        _from_proto(item)
        for item in client.list_publisher_models(request=request, metadata=_metadata(google), **retry.options())])

    def detail(entry: PublisherModel) -> PublisherModel:
        if entry.launch_stage and entry.version_state:
            return entry
        name = f"{resource_name(entry.model)}@{entry.version_id}" if entry.version_id else resource_name(entry.model)
        found = get_model(google, project, name)
        return PublisherModel(entry.model, entry.version_id or found.version_id,
                              found.launch_stage or entry.launch_stage, found.version_state or entry.version_state)

    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="model-garden") as pool:
        return list(pool.map(detail, listed))


def eula_accepted(google: GoogleApis, project: str, model_id: str) -> bool:
    """``modelGardenEula.check``: whether the project has accepted the publisher model's terms."""
    client = google.model_garden_client()
    where = Where(API, project, GLOBAL, model_id)
    answer = _call(google, where, "modelGardenEula.check", lambda: client.check_publisher_model_eula_acceptance(
        request={"parent": f"projects/{project}", "publisher_model": resource_name(model_id)},
        metadata=_metadata(google), **retry.options()))
    return bool(answer.publisher_model_eula_acked)


@dataclass(frozen=True)
class Enablement:
    """What ``enableModel`` answered: ``ENABLEMENT_STATE_SUCCEEDED`` or ``…_FAILED``, and the endpoint."""

    state: str
    endpoint: str = ""

    @property
    def ok(self) -> bool:
        return self.state == SUCCEEDED


def _transient(exc: BaseException) -> bool:
    import requests

    return isinstance(exc, requests.exceptions.ConnectionError) or (
        isinstance(exc, HttpError) and exc.code in retry.TRANSIENT_HTTP)


def enable_model(google: GoogleApis, project: str, model_id: str) -> Enablement:
    """``projects.publishers.models.enableModel``: enables the model when its prerequisites (use-case form,
    consents, or a Private Offer) are met; a failed enablement is an answer, not an error."""
    import requests

    # google-cloud-aiplatform 2.7.0's ModelGardenServiceClient has no EnableModel RPC (v1beta1 discovery has
    # projects.publishers.models.enableModel): sent as JSON through the shared authorized session.
    url = f"{google.vertex_endpoint(GLOBAL)}/v1beta1/projects/{project}/{resource_name(model_id)}:enableModel"
    where = Where(API, project, GLOBAL, model_id)
    headers = google.vertex_headers(GLOBAL)
    try:
        body = propagation.call(google.propagation, lambda: retry.call(
            lambda: request_json(google, "POST", url, json={}, headers=headers), retry_if=_transient))
    except HttpError as exc:
        error: GoogleApiError = exc.explain(where)
        raise (google.propagation.still_disabled(error, API) if exc.reason == "SERVICE_DISABLED" else error) from None
    except requests.exceptions.ConnectionError as exc:
        raise _unreachable(exc, where) from None
    body = body if isinstance(body, dict) else {}
    return Enablement(str(body.get("enablementState") or "ENABLEMENT_STATE_UNSPECIFIED"),
                      str(body.get("publisherEndpoint") or ""))


def live_scope(google: GoogleApis) -> str:
    """Which target's Model Garden answered: the emulator's list never stands for Google's."""
    from vertex_claude_setup.catalog import live

    return live.EMULATOR if google.emulator is not None else live.GOOGLE


def live_catalog(google: GoogleApis, state_dir: Path, *, create: bool = False,
                 refresh: bool = False) -> LiveCatalog | None:
    """Model Garden's list from the cache (24 h), read again when it has expired or ``refresh``; when absent,
    read only with ``create`` (``models --live``). None when there is no list and none was read."""
    from vertex_claude_setup.catalog import live

    scope = live_scope(google)
    cached = live.load(state_dir, scope)
    if cached is None and not create:
        return None
    if cached is not None and cached.fresh() and not refresh:
        return cached
    listed = list_models(google, google.config.project)
    return live.save(state_dir, scope, [live.LiveModel(m.vertex_id, m.model, m.version_id, m.launch_stage,
                                                      m.version_state) for m in listed])
