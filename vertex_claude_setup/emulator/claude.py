"""Claude on Vertex AI: ``rawPredict``, ``streamRawPredict`` and ``count-tokens:rawPredict`` (publisher anthropic).

Availability per (project, location, model) comes from the scenario (``[availability]``) or, by default,
from the catalog's region hints — so the demo shows a realistic mixed matrix. Every unavailable class
answers with Google's real status and message text. ``[availability] no_count_tokens = ["LOCATION", …]``
lists locations that do not serve count-tokens (a 404 for ``…/models/count-tokens``, whatever the model);
Model Garden enablement (model_garden.py) and organization policies (orgpolicy.py) come before the class.
"""

from __future__ import annotations

import json
import math
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from .common import SERVICE_TITLES
from .googleerrors import ApiError
from .server import Request, Response, handles
from .state import State
from .vertex import vertex_project

SERVICE = "aiplatform.googleapis.com"
SUPPORTED_VERSIONS = ("vertex-2023-10-16",)  # the only anthropic_version Vertex AI accepts
# Called after every successful Claude call: fn(state, record) — request-response logging hooks in here.
AFTER_CALL: list[Callable[[State, dict[str, Any]], None]] = []
_quota_lock = threading.Lock()

assert SERVICE in SERVICE_TITLES


def _model_path(project: str, location: str, model: str) -> str:
    return f"projects/{project}/locations/{location}/publishers/anthropic/models/{model}"


def availability_of(state: State, project: dict[str, Any], location: str, model: str) -> str:
    """The scenario's class for (project, location, model); default from the catalog's hints."""
    from vertex_claude_setup import catalog

    key = f"{model}@{location}" if "@" not in model else f"{model}|{location}"
    for table in (project.get("availability") or {}, (state.data.get("availability") or {}).get("overrides", {})):
        for candidate in (f"{model}|{location}", key, f"{model}|*", f"*|{location}"):
            if candidate in table:
                return str(table[candidate])
    from .model_garden import enablement, extra_model

    default = (state.data.get("availability") or {}).get("default", "hints")
    info = catalog.models().get(model)
    extra = extra_model(state, model) if info is None else None
    if (info is None and extra is None) or (info is not None and info.status() == "retired"):
        return "NOT_FOUND"
    if enablement(project, model) != "ENABLED":  # Model Garden enablement is per project, every location
        return "NOT_ENABLED"
    if default == "hints":
        hints = info.region_hints if info is not None else tuple((extra or {}).get("regions") or (location,))
        if location not in hints:
            return "NOT_SERVABLE_IN_REGION"
        # Fable ("covered" models) needs data sharing with Anthropic enabled per model location.
        return "DATA_SHARING_REQUIRED" if info is not None and info.family == "fable" else "AVAILABLE"
    return str(default)


def _check_host(req: Request, location: str, model_path: str) -> None:
    """A regional host with location ``global`` (or the wrong region) is a 404, as on Google."""
    host = req.host.split(":")[0]
    if not host.endswith("googleapis.com"):
        return  # plain emulator address: the caller chose no Google host
    expected = "aiplatform.googleapis.com" if location == "global" else f"{location}-aiplatform.googleapis.com"
    if location in {"us", "eu"}:
        expected = f"aiplatform.{location}.rep.googleapis.com"
    if host != expected:
        raise _not_found(model_path)


def _not_found(model_path: str) -> ApiError:
    return ApiError("NOT_FOUND", f"Publisher Model `{model_path}` was not found or your project does not have "
                                 "access to it. Please ensure you are using a valid model version. For more "
                                 "information, see: https://cloud.google.com/vertex-ai/generative-ai/docs/learn/"
                                 "model-versions")


def _raise_for_class(cls: str, project: dict[str, Any], location: str, model: str, model_path: str) -> None:
    from vertex_claude_setup import catalog

    pid = project["projectId"]
    if cls == "AVAILABLE":
        return
    if cls == "NOT_SERVABLE_IN_REGION":
        raise ApiError("FAILED_PRECONDITION", f"Publisher Model `{model_path}` is not servable in region {location}.")
    if cls == "NOT_ENABLED":
        raise ApiError("FAILED_PRECONDITION", f"Project `{pid}` is not allowed to use Publisher Model `{model_path}`")
    if cls in {"NOT_FOUND", "NOT_FOUND_OR_NO_ACCESS"}:
        raise _not_found(model_path)
    if cls == "DATA_SHARING_REQUIRED":
        configs = project.get("publisherModelConfigs", {})
        if configs.get(f"{location}/{model}", {}).get("dataSharingEnabledProvider") == "ANTHROPIC":
            return
        raise ApiError("PERMISSION_DENIED",
                       "Access to this model requires data sharing to be enabled for publisher 'anthropic'. Please set "
                       "PublisherModelConfig.data_sharing_enabled_provider to 'anthropic' via the "
                       "setPublisherModelConfig API to use this model.")
    if cls in {"QUOTA_ZERO", "QUOTA_EXHAUSTED"}:
        info = catalog.models().get(model)
        raise _quota_error(location, info.quota_base_model if info else f"anthropic-{model.split('@')[0]}")
    if cls == "ERROR":
        raise ApiError("UNAVAILABLE", "The service is currently unavailable.")
    raise ApiError("INTERNAL", f"emulator scenario has unknown availability class {cls!r}")


def _quota_error(location: str, base_model: str) -> ApiError:
    metric = "global_online_prediction_requests_per_base_model" if location == "global" else (
        "online_prediction_requests_per_base_model")
    return ApiError("RESOURCE_EXHAUSTED", f"Quota exceeded for aiplatform.googleapis.com/{metric} with base model: "
                                          f"{base_model}. Please submit a quota increase request. "
                                          "https://cloud.google.com/vertex-ai/docs/generative-ai/quotas-genai.")


def quota_limit(state: State, project: dict[str, Any], location: str, base_model: str) -> int | None:
    """Requests per minute for (base model, location); None = unlimited. Scenario ``[quotas]``."""
    for table in (project.get("quotas") or {}, state.data.get("quotas") or {}):
        for key in (f"{base_model}|{location}", base_model, f"*|{location}"):
            if key in table:
                return int(table[key])
    return None


def _consume_quota(state: State, project: dict[str, Any], location: str, model: str, *, consume: bool) -> None:
    from vertex_claude_setup import catalog

    info = catalog.models().get(model)
    base = info.quota_base_model if info else f"anthropic-{model.split('@')[0]}"
    limit = quota_limit(state, project, location, base)
    if limit is None:
        return
    window = int(time.time() // 60)
    with _quota_lock:
        usage = project.setdefault("quotaUsage", {})
        key = f"{base}|{location}|{window}"
        used = int(usage.get(key, 0))
        if used >= limit:
            raise _quota_error(location, base)
        if consume:
            usage[key] = used + 1


def _anthropic_error(kind: str, message: str, status: int = 400) -> Response:
    return Response(status=status, body={"type": "error", "error": {"type": kind, "message": message}})


def _validate_messages_body(body: Any, *, count_tokens: bool) -> Response | None:
    if not isinstance(body, dict):
        return _anthropic_error("invalid_request_error", "Request body must be a JSON object.")
    if not count_tokens:
        if "model" in body:
            return _anthropic_error("invalid_request_error", "model: Extra inputs are not permitted")
        version = body.get("anthropic_version")
        if not version:
            return _anthropic_error("invalid_request_error", "anthropic_version: field required")
        if str(version) not in SUPPORTED_VERSIONS:
            return _anthropic_error("invalid_request_error",
                                    f"anthropic_version: Input should be {' or '.join(map(repr, SUPPORTED_VERSIONS))}")
        if not isinstance(body.get("max_tokens"), int) or body["max_tokens"] < 1:
            return _anthropic_error("invalid_request_error", "max_tokens: field required")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return _anthropic_error("invalid_request_error", "messages: field required")
    return None


def _text_of(messages: list[Any], system: Any = None) -> str:
    parts: list[str] = [system if isinstance(system, str) else json.dumps(system)] if system else []
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(str(block.get("text", "")) for block in content if isinstance(block, dict))
    return " ".join(parts)


def count_tokens_of(text: str) -> int:
    """A deterministic token estimate (about four characters a token, plus message framing)."""
    return max(1, math.ceil(len(text) / 4)) + 7


def _reply_words(location: str) -> list[str]:
    return f"Hello! I'm Claude, answering from Vertex AI in {location}. How can I help you today?".split(" ")


def _served_model_name(model: str) -> str:
    return model.replace("@", "-")


def _prepare(req: Request, *, count_tokens: bool) -> tuple[dict[str, Any], str, str, Response | None]:
    """Shared checks of the three calls: host, project, API, billing, permission, availability, quota."""
    location = req.params["locationsId"]
    body = req.body if isinstance(req.body, dict) else {}
    model = str(body.get("model", "")) if count_tokens else req.params["modelsId"]
    project = vertex_project(req, "aiplatform.endpoints.predict")
    path = _model_path(req.params["projectsId"], location, model or req.params["modelsId"])
    _check_host(req, location, path)
    if count_tokens and location in ((req.state.data.get("availability") or {}).get("no_count_tokens") or ()):
        # A location that does not serve count-tokens: Google has no publisher model of that name there.
        raise _not_found(_model_path(req.params["projectsId"], location, "count-tokens"))
    invalid = _validate_messages_body(req.body, count_tokens=count_tokens)
    if count_tokens and not model:
        invalid = _anthropic_error("invalid_request_error", "model: field required")
    if invalid is not None:
        return project, location, model, invalid
    from .orgpolicy import blocked_error, blocks

    if blocks(req.state, project, model):  # the organization policy comes before the model's own answer
        raise blocked_error(project, model)
    cls = availability_of(req.state, project, location, model)
    _raise_for_class(cls, project, location, model, path)
    _consume_quota(req.state, project, location, model, consume=not count_tokens)
    return project, location, model, None


def _usage(input_tokens: int, output_tokens: int) -> dict[str, Any]:
    """The Messages API usage block (cache counters are always present, zero without prompt caching)."""
    return {"input_tokens": input_tokens, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
            "output_tokens": output_tokens}


def _request_id() -> str:
    return "req_vrtx_" + uuid.uuid4().hex[:24]


def _array_errors(req: Request) -> bool:
    return bool((req.state.data.get("availability") or {}).get("array_errors"))


def _wrap(req: Request, fn: Callable[[], Response]) -> Response:
    try:
        return fn()
    except ApiError as exc:
        if _array_errors(req):  # Vertex sometimes sends [{"error": {...}}] for rawPredict
            return Response(status=exc.http_code, body=[exc.body()])
        raise


def _record(req: Request, project: dict[str, Any], location: str, model: str, response: dict[str, Any],
            method: str) -> None:
    record = {"project": project["projectId"], "location": location, "model": model, "api_method": method,
              "request": req.body, "response": response, "time": time.time()}
    for hook in AFTER_CALL:
        hook(req.state, record)


@handles("aiplatform.v1", "aiplatform.projects.locations.publishers.models.rawPredict")
def raw_predict(req: Request) -> Response:
    def run() -> Response:
        count = req.params["modelsId"] == "count-tokens"
        project, location, model, invalid = _prepare(req, count_tokens=count)
        if invalid is not None:
            return invalid
        body = req.body
        text = _text_of(body["messages"], body.get("system"))
        if count:
            return Response(body={"input_tokens": count_tokens_of(text)}, headers={"request-id": _request_id()})
        words = _reply_words(location)
        limit = int(body["max_tokens"])
        used = words[:limit]
        message = {
            "id": "msg_vrtx_" + uuid.uuid4().hex[:24], "type": "message", "role": "assistant",
            "model": _served_model_name(model), "content": [{"type": "text", "text": " ".join(used)}],
            "stop_reason": "max_tokens" if limit < len(words) else "end_turn", "stop_sequence": None,
            "usage": _usage(count_tokens_of(text), len(used)),
        }
        _record(req, project, location, model, message, "rawPredict")
        return Response(body=message, headers={"request-id": _request_id()})

    return _wrap(req, run)


@handles("aiplatform.v1", "aiplatform.projects.locations.publishers.models.streamRawPredict")
def stream_raw_predict(req: Request) -> Response:
    def run() -> Response:
        project, location, model, invalid = _prepare(req, count_tokens=False)
        if invalid is not None:
            return invalid
        body = req.body
        all_words = _reply_words(location)
        words = all_words[: int(body["max_tokens"])]
        input_tokens = count_tokens_of(_text_of(body["messages"], body.get("system")))
        msg_id = "msg_vrtx_" + uuid.uuid4().hex[:24]
        stop = "max_tokens" if len(words) < len(all_words) else "end_turn"
        full = {"id": msg_id, "type": "message", "role": "assistant", "model": _served_model_name(model),
                "content": [{"type": "text", "text": " ".join(words)}], "stop_reason": stop,
                "stop_sequence": None, "usage": _usage(input_tokens, len(words))}
        _record(req, project, location, model, full, "streamRawPredict")
        return Response(content_type="text/event-stream", chunks=_sse(full, words),
                        headers={"request-id": _request_id(), "Cache-Control": "no-cache"})

    return _wrap(req, run)


def _event(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


def _sse(full: dict[str, Any], words: list[str]) -> Iterator[bytes]:
    start = {**full, "content": [], "stop_reason": None, "usage": {**full["usage"], "output_tokens": 1}}
    yield _event("message_start", {"type": "message_start", "message": start})
    yield _event("content_block_start", {"type": "content_block_start", "index": 0,
                                         "content_block": {"type": "text", "text": ""}})
    yield _event("ping", {"type": "ping"})
    for i, word in enumerate(words):
        yield _event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                             "delta": {"type": "text_delta", "text": word if i == 0 else " " + word}})
    yield _event("content_block_stop", {"type": "content_block_stop", "index": 0})
    yield _event("message_delta", {"type": "message_delta",
                                   "delta": {"stop_reason": full["stop_reason"], "stop_sequence": None},
                                   "usage": {"output_tokens": len(words)}})
    yield _event("message_stop", {"type": "message_stop"})
