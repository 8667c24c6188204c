"""Cloud Quotas API v1: ``quotaInfos.list`` for ``aiplatform.googleapis.com`` (Claude per-base-model quotas).

There is no discovery document for Cloud Quotas in google-api-python-client, so the route is
registered by path; the answer follows the real REST shape of ``QuotaInfo`` (int64 values as JSON
strings, ``dimensionsInfos`` with ``applicableLocations``). Values come from the scenario's
``[quotas]`` table (the same limits the Claude endpoints enforce), else from demo defaults that are
reported but not enforced.
"""

from __future__ import annotations

from typing import Any

from .claude import quota_limit
from .common import require_project, require_service
from .googleerrors import ApiError
from .server import Request, handles_path
from .state import State

API_HOST = "cloudquotas.googleapis.com"
PERMISSION = "cloudquotas.quotas.get"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
DEFAULT_RPM = {"region": 60, "global": 120, "multi-region": 60}

# (quotaId, metric suffix, location kind, display name)
_METRICS = (
    ("OnlinePredictionRequestsPerMinutePerProjectPerBaseModel", "online_prediction_requests_per_base_model",
     "region", "Online prediction requests per base model per minute per region"),
    ("GlobalOnlinePredictionRequestsPerMinutePerProjectPerBaseModel",
     "global_online_prediction_requests_per_base_model", "global",
     "Global online prediction requests per base model per minute"),
    ("UsMultiRegionOnlinePredictionRequestsPerMinutePerProjectPerBaseModel",
     "us_multi_region_online_prediction_requests_per_base_model", "us",
     "US multi-region online prediction requests per base model per minute"),
    ("EuMultiRegionOnlinePredictionRequestsPerMinutePerProjectPerBaseModel",
     "eu_multi_region_online_prediction_requests_per_base_model", "eu",
     "EU multi-region online prediction requests per base model per minute"),
)


def _value(state: State, project: dict[str, Any], base_model: str, location: str, kind: str) -> str:
    limit = quota_limit(state, project, location, base_model)
    return str(limit if limit is not None else DEFAULT_RPM[kind])


def _claude_locations() -> dict[str, set[str]]:
    """base model -> locations hinted for any model of that base (the demo's quota footprint)."""
    from vertex_claude_setup import catalog

    out: dict[str, set[str]] = {}
    for info in catalog.models().values():
        if info.status() != "retired":
            out.setdefault(info.quota_base_model, set()).update(info.region_hints)
    return out


def quota_infos(state: State, project: dict[str, Any], service: str) -> list[dict[str, Any]]:
    """Every QuotaInfo the emulator knows for ``service`` (Claude per-base-model request quotas and a few others)."""
    number = project["projectNumber"]
    footprint = _claude_locations()
    infos: list[dict[str, Any]] = []
    for quota_id, suffix, kind, display in _METRICS:
        dims_infos: list[dict[str, Any]] = []
        for base_model in sorted(footprint):
            for location in sorted(footprint[base_model]):
                if kind == "region" and location in {"global", "us", "eu"}:
                    continue
                if kind != "region" and location != kind:
                    continue
                value_kind = "region" if kind == "region" else ("global" if kind == "global" else "multi-region")
                dims: dict[str, str] = {"base_model": base_model}
                if kind == "region":
                    dims["region"] = location
                dims_infos.append({"dimensions": dims,
                                   "details": {"value": _value(state, project, base_model, location, value_kind)},
                                   "applicableLocations": [location]})
        if kind == "region":  # a non-Claude base model shares the metric
            dims_infos.append({"dimensions": {"region": "us-central1", "base_model": "gemini-2.5-pro"},
                               "details": {"value": "600"}, "applicableLocations": ["us-central1"]})
        infos.append(_info(number, service, quota_id, f"{service}/{suffix}", display,
                           ["region", "base_model"] if kind == "region" else ["base_model"], dims_infos,
                           "minute"))
    infos.append(_info(number, service, "CustomModelTrainingCPUsPerProjectPerRegion",
                       f"{service}/custom_model_training_cpus", "Custom model training CPUs per region",
                       ["region"], [{"dimensions": {"region": "us-central1"}, "details": {"value": "24"},
                                     "applicableLocations": ["us-central1"]}], ""))
    return infos


def _info(number: str, service: str, quota_id: str, metric: str, display: str, dimensions: list[str],
          dims_infos: list[dict[str, Any]], refresh: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": f"projects/{number}/locations/global/services/{service}/quotaInfos/{quota_id}",
        "quotaId": quota_id, "metric": metric, "service": service, "isPrecise": True,
        "containerType": "PROJECT", "dimensions": dimensions, "metricDisplayName": display,
        "quotaDisplayName": display, "metricUnit": "1/min/{project}/{base_model}" if refresh else "1",
        "quotaIncreaseEligibility": {"isEligible": True}, "dimensionsInfos": dims_infos,
    }
    if refresh:
        out["refreshInterval"] = refresh
    return out


@handles_path("GET", r"^/v1/projects/(?P<project>[^/]+)/locations/global/services/(?P<service>[^/]+)/quotaInfos$",
              service=API_HOST)
def list_quota_infos(req: Request) -> dict[str, Any]:
    ref, service = req.params["project"], req.params["service"]
    project = require_project(req.state, ref, PERMISSION, API_HOST)
    require_service(req.state, project, API_HOST)
    infos = quota_infos(req.state, project, service) if service == "aiplatform.googleapis.com" else []
    try:
        size = min(int(req.q("pageSize") or DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE) or DEFAULT_PAGE_SIZE
        start = int(req.q("pageToken") or 0)
    except ValueError:
        raise ApiError("INVALID_ARGUMENT", "Invalid pageSize or pageToken.") from None
    out: dict[str, Any] = {"quotaInfos": infos[start:start + size]}
    if start + size < len(infos):
        out["nextPageToken"] = str(start + size)
    return out
