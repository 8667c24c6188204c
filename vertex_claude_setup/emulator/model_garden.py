"""Vertex AI Model Garden (aiplatform v1beta1): Anthropic's publisher models, EULA check/accept, enableModel.

Model Garden lists the catalog's Claude models that are not retired (a retired model is gone from it), each as
``publishers/anthropic/models/{name}`` with its version (the date of a dated id, ``001`` for an undated one),
plus the scenario's ``[model_garden] extra_models`` and minus its ``withdrawn`` ids. The list's basic view
carries names and versions; ``get`` adds launch stage and version state.

Per project, ``model_enablement`` (``{"*" = "NOT_ENABLED"}``, or per model id or name) says whether a model is
enabled: ``ENABLED`` (the default), ``NOT_ENABLED`` (use-case form done: ``enableModel`` succeeds) or
``QUESTIONNAIRE_MISSING`` (``enableModel`` answers ``ENABLEMENT_STATE_FAILED``). A model not enabled answers
Claude calls with Google's 400 "is not allowed to use Publisher Model" (claude.py).
"""

from __future__ import annotations

from typing import Any

from .common import require_permission, require_project
from .googleerrors import ApiError
from .server import Request, handles
from .state import State

API = "aiplatform.v1beta1"
SERVICE = "aiplatform.googleapis.com"
PUBLISHER = "anthropic"
UNDATED_VERSION = "001"
PAGE_SIZE = 50
ENABLEMENT = ("ENABLED", "NOT_ENABLED", "QUESTIONNAIRE_MISSING")
# What Google asks of the caller to enable a partner model: the Consumer Procurement Entitlement Manager role.
ENABLE_PERMISSIONS = ("consumerprocurement.entitlements.get", "consumerprocurement.consents.check",
                      "consumerprocurement.consents.grant")
MODEL_GARDEN_KEYS = {"extra_models", "withdrawn"}
# An extra model is served in its ``regions`` (default: every location) and answers like a catalog model.
EXTRA_MODEL_KEYS = {"id", "launch_stage", "version_state", "regions"}


def _section(state: State) -> dict[str, Any]:
    return state.data.get("model_garden") or {}


def publisher_models(state: State) -> list[dict[str, Any]]:
    """Every listed version, full view: name, versionId, launch stage, version state."""
    from vertex_claude_setup import catalog

    section = _section(state)
    withdrawn = set(section.get("withdrawn") or ())
    rows: list[dict[str, Any]] = []
    for info in catalog.models().values():
        if info.status() == "retired" or info.id in withdrawn:
            continue
        rows.append(_row(info.id, "GA", "VERSION_STATE_STABLE"))
    for extra in section.get("extra_models") or ():
        rows.append(_row(str(extra["id"]), str(extra.get("launch_stage", "GA")),
                         str(extra.get("version_state", "VERSION_STATE_STABLE"))))
    return rows


def extra_model(state: State, model_id: str) -> dict[str, Any] | None:
    """The scenario's extra publisher model with this Vertex id (claude.py serves it like a catalog model)."""
    for extra in _section(state).get("extra_models") or ():
        if extra.get("id") == model_id:
            return dict(extra)
    return None


def _row(model_id: str, launch_stage: str, version_state: str) -> dict[str, Any]:
    name, _, version = model_id.partition("@")
    version = version or UNDATED_VERSION
    return {"name": f"publishers/{PUBLISHER}/models/{name}", "versionId": version,
            "openSourceCategory": "PROPRIETARY", "launchStage": launch_stage, "versionState": version_state,
            "publisherModelTemplate": f"projects/{{project}}/locations/{{location}}/publishers/{PUBLISHER}/models/"
                                      f"{name}@{version}"}


_BASIC = ("name", "versionId", "openSourceCategory", "publisherModelTemplate")


def _publisher(req: Request) -> None:
    if req.params.get("publishersId") != PUBLISHER:
        raise ApiError("NOT_FOUND", f"Publisher `{req.params.get('publishersId')}` is not supported by this emulator.")


@handles(API, "aiplatform.publishers.models.list")
def list_models(req: Request) -> dict[str, Any]:
    """Basic view unless ``view=PUBLISHER_MODEL_VIEW_FULL``; one (newest) version per model unless
    ``listAllVersions``; pages of ``pageSize`` (default 50) with ``nextPageToken``."""
    _publisher(req)
    rows = publisher_models(req.state)
    if req.q("listAllVersions").lower() not in {"true", "1"}:
        newest: dict[str, dict[str, Any]] = {}
        for row in rows:
            if row["name"] not in newest or row["versionId"] > newest[row["name"]]["versionId"]:
                newest[row["name"]] = row
        rows = list(newest.values())
    if req.q("view") not in {"PUBLISHER_MODEL_VIEW_FULL", "2"}:
        rows = [{k: row[k] for k in _BASIC} for row in rows]
    try:
        size = int(req.q("pageSize") or PAGE_SIZE)
        start = int(req.q("pageToken") or 0)
    except ValueError:
        raise ApiError("INVALID_ARGUMENT", "Invalid page token or page size.") from None
    size = size if size > 0 else PAGE_SIZE
    page = rows[start:start + size]
    out: dict[str, Any] = {"publisherModels": page}
    if start + size < len(rows):
        out["nextPageToken"] = str(start + size)
    return out


@handles(API, "aiplatform.publishers.models.get")
def get_model(req: Request) -> dict[str, Any]:
    """``publishers/anthropic/models/{name}`` (newest version) or ``…/{name}@{version}``."""
    _publisher(req)
    name, _, version = req.params["modelsId"].partition("@")
    matches = [row for row in publisher_models(req.state) if row["name"].endswith(f"/{name}")
               and (not version or row["versionId"] == version)]
    if not matches:
        raise ApiError("NOT_FOUND", f"Publisher Model `publishers/{PUBLISHER}/models/{req.params['modelsId']}` "
                                    "not found.")
    return dict(max(matches, key=lambda row: row["versionId"]))


# -- enablement per project -------------------------------------------------------------------------------
def enablement(project: dict[str, Any], model_id: str) -> str:
    """``ENABLED``, ``NOT_ENABLED`` or ``QUESTIONNAIRE_MISSING`` for one model (id or name) in the project."""
    table = project.get("model_enablement") or {}
    name = model_id.split("@")[0]
    for key in (model_id, name, "*"):
        if key in table:
            return str(table[key])
    return "ENABLED"


def _set_enablement(project: dict[str, Any], model_id: str, value: str) -> None:
    table = project.setdefault("model_enablement", {})
    name = model_id.split("@")[0]
    for key in [k for k in table if k.split("@")[0] == name]:
        del table[key]
    table[name] = value


def _project(req: Request) -> dict[str, Any]:
    ref = req.params["projectsId"]
    return require_project(req.state, ref, "resourcemanager.projects.get", SERVICE)


def _model_name(req: Request, raw: Any) -> str:
    """The model of ``publishers/anthropic/models/{name}``; a publisher model Model Garden does not list is 404."""
    value = str(raw or "")
    prefix = f"publishers/{PUBLISHER}/models/"
    if not value.startswith(prefix) or "/" in value[len(prefix):]:
        raise ApiError("INVALID_ARGUMENT", f"Invalid publisher model name: {value!r}.")
    name = value[len(prefix):].split("@")[0]
    if not any(row["name"] == f"{prefix}{name}" for row in publisher_models(req.state)):
        raise ApiError("NOT_FOUND", f"Publisher Model `{value}` not found.")
    return name


def _eula_acked(project: dict[str, Any], name: str) -> bool:
    return name in (project.get("eulaAccepted") or []) or enablement(project, name) == "ENABLED"


def _eula_answer(project: dict[str, Any], name: str) -> dict[str, Any]:
    return {"projectNumber": project["projectNumber"], "publisherModel": f"publishers/{PUBLISHER}/models/{name}",
            "publisherModelEulaAcked": _eula_acked(project, name)}


@handles(API, "aiplatform.projects.modelGardenEula.check")
def eula_check(req: Request) -> dict[str, Any]:
    project = _project(req)
    name = _model_name(req, (req.body or {}).get("publisherModel"))
    return _eula_answer(project, name)


@handles(API, "aiplatform.projects.modelGardenEula.accept")
def eula_accept(req: Request) -> dict[str, Any]:
    """Records the acceptance of the publisher model's EULA; enabling a partner model is ``enableModel``."""
    project = _project(req)
    name = _model_name(req, (req.body or {}).get("publisherModel"))
    with req.state.lock:
        accepted = project.setdefault("eulaAccepted", [])
        if name not in accepted:
            accepted.append(name)
    return _eula_answer(project, name)


@handles(API, "aiplatform.projects.publishers.models.enableModel")
def enable_model(req: Request) -> dict[str, Any]:
    """Enables the model when the scenario's use-case form is done (``NOT_ENABLED``); ``QUESTIONNAIRE_MISSING``
    answers ``ENABLEMENT_STATE_FAILED`` (200, as the method documents a failed enablement as a result)."""
    project = _project(req)
    ref = req.params["projectsId"]
    for permission in ENABLE_PERMISSIONS:
        require_permission(project, permission, f"//{SERVICE}/projects/{ref}", "iam.googleapis.com")
    if req.params.get("publishersId") != PUBLISHER:
        raise ApiError("NOT_FOUND", f"Publisher `{req.params.get('publishersId')}` is not supported by this emulator.")
    name = _model_name(req, f"publishers/{PUBLISHER}/models/{req.params['modelsId']}")
    with req.state.lock:
        current = enablement(project, name)
        if current == "QUESTIONNAIRE_MISSING":
            return {"enablementState": "ENABLEMENT_STATE_FAILED"}
        if current != "ENABLED":
            _set_enablement(project, name, "ENABLED")
    return {"enablementState": "ENABLEMENT_STATE_SUCCEEDED",
            "publisherEndpoint": f"projects/{ref}/locations/global/publishers/{PUBLISHER}/models/{name}"}
