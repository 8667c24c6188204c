"""Routes and request validation from the discovery documents shipped in google-api-python-client.

The emulator serves only paths that exist in Google's published API descriptions, and rejects
request bodies with fields those descriptions do not define — as Google does.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from .googleerrors import ApiError


@cache
def _documents_dir() -> Path:
    import googleapiclient

    return Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"


@cache
def document(api: str) -> dict[str, Any]:
    """The discovery document ``api`` (e.g. ``serviceusage.v1``) as JSON."""
    path = _documents_dir() / f"{api}.json"
    return dict(json.loads(path.read_text(encoding="utf-8")))


@cache
def service(api: str) -> str:
    """The Google service an API document describes (``aiplatform.v1`` -> ``aiplatform.googleapis.com``)."""
    root = str(document(api).get("rootUrl", ""))
    return root.split("://", 1)[-1].strip("/") or f"{api.split('.')[0]}.googleapis.com"


@dataclass(frozen=True)
class Method:
    """One API method: id, HTTP verb, path regex and the request schema name."""

    api: str
    id: str
    http_method: str
    template: str
    regex: re.Pattern[str]
    request_schema: str | None
    literal_weight: int


def _walk(resources: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for res in resources.values():
        out.extend(res.get("methods", {}).values())
        out.extend(_walk(res.get("resources", {})))
    return out


def _compile(template: str) -> tuple[re.Pattern[str], int]:
    pattern = ""
    literal = 0
    for part in re.split(r"(\{\+?[A-Za-z0-9_]+\})", template):
        if part.startswith("{"):
            name = part.strip("{}+")
            pattern += f"(?P<{name}>.+)" if part.startswith("{+") else f"(?P<{name}>[^/]+?)"
        else:
            pattern += re.escape(part)
            literal += len(part)
    return re.compile(f"^{pattern}$"), literal


def method(api: str, method_id: str) -> Method:
    """Look up ``method_id`` in the discovery document of ``api``; KeyError if it does not exist."""
    doc = document(api)
    for meth in _walk(doc.get("resources", {})):
        if meth["id"] == method_id:
            template = "/" + doc.get("servicePath", "") + meth.get("flatPath", meth["path"])
            regex, weight = _compile(template)
            return Method(api=api, id=method_id, http_method=meth["httpMethod"], template=template,
                          regex=regex, request_schema=(meth.get("request") or {}).get("$ref"),
                          literal_weight=weight)
    raise KeyError(f"{method_id} is not in the {api} discovery document")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def validate(api: str, schema_name: str | None, body: Any) -> None:
    """Raise a 400 INVALID_ARGUMENT like Google's for unknown fields or wrong JSON types."""
    if schema_name is None or schema_name in {"GoogleApiHttpBody", "HttpBody"}:
        return
    schemas = document(api).get("schemas", {})
    props = schemas.get(schema_name, {}).get("properties", {})
    if any(p.get("$ref") == "GoogleApiHttpBody" for p in props.values()):
        return  # the HTTP body *is* the payload (rawPredict): any JSON is valid here
    if not isinstance(body, dict):
        raise _invalid("", "Invalid JSON payload received. Expected an object.")
    _check_object(schemas, schemas.get(schema_name, {}), body, "")


# Parameters every Google REST method takes besides its own (the discovery document's top-level "parameters").
SYSTEM_PARAMETERS = frozenset({"$alt", "alt", "$.xgafv", "access_token", "callback", "fields", "$fields", "key",
                               "oauth_token", "prettyPrint", "quotaUser", "upload_protocol", "uploadType",
                               "userIp"})


def _snake(name: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def validate_query(api: str, method_id: str, query: dict[str, list[str]]) -> None:
    """Raise the 400 Google answers for a query parameter the method does not have, or of the wrong type.

    A parameter is known by its JSON name or its proto (snake_case) name; booleans are ``true``/``false``
    and integers whole numbers, as the discovery document types them.
    """
    doc = document(api)
    params: dict[str, Any] = next((m.get("parameters", {}) for m in _walk(doc.get("resources", {}))
                                   if m["id"] == method_id), {})
    by_name = {n: p for n, p in params.items() if p.get("location") == "query"}
    by_name.update({_snake(n): p for n, p in list(by_name.items())})
    for name, values in query.items():
        if name in SYSTEM_PARAMETERS or name in doc.get("parameters", {}):
            continue
        param = by_name.get(name)
        if param is None:
            raise _invalid(name, f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query parameter. '
                                 f"Field '{name}' could not be found in request message.")
        for value in values:
            kind = param.get("type")
            bad = (kind == "boolean" and value not in {"true", "false"}) or (
                kind == "integer" and not re.fullmatch(r"-?[0-9]{1,10}", value))
            if bad:
                field = _snake(name)
                proto = "TYPE_BOOL" if kind == "boolean" else "TYPE_INT32"
                raise _invalid(field, f'Invalid value at \'{field}\' ({proto}), "{value}"')


def _invalid(field: str, message: str) -> ApiError:
    return ApiError("INVALID_ARGUMENT", message, [{
        "@type": "type.googleapis.com/google.rpc.BadRequest",
        "fieldViolations": [{"field": field, "description": message}],
    }])


def _check_object(schemas: dict[str, Any], schema: dict[str, Any], value: dict[str, Any], where: str) -> None:
    props: dict[str, Any] = schema.get("properties", {})
    if not props and schema.get("additionalProperties") is None and schema.get("type") == "object" and not schema.get(
            "id"):
        return
    extra = schema.get("additionalProperties")
    for key, item in value.items():
        prop = props.get(key) or props.get(_camel(key))
        if prop is None:
            if extra is not None:
                _check_value(schemas, extra, item, f"{where}[{key}]" if where else key)
                continue
            at = f" at '{where}'" if where else ""
            raise _invalid(where or key, f'Invalid JSON payload received. Unknown name "{key}"{at}: Cannot find field.')
        _check_value(schemas, prop, item, f"{where}.{key}" if where else key)


def _check_value(schemas: dict[str, Any], prop: dict[str, Any], item: Any, where: str) -> None:
    if item is None:
        return
    if "$ref" in prop:
        target = schemas.get(prop["$ref"], {})
        if target.get("type") == "object" and target.get("properties") is not None:
            if not isinstance(item, dict):
                raise _invalid(where, f"Invalid value at '{where}': expected an object.")
            _check_object(schemas, target, item, where)
        return
    kind = prop.get("type")
    if kind == "array":
        if not isinstance(item, list):
            raise _invalid(where, f"Invalid value at '{where}': Proto field is repeated, expected a list.")
        for i, sub in enumerate(item):
            _check_value(schemas, prop.get("items", {}), sub, f"{where}[{i}]")
    elif kind == "object":
        if not isinstance(item, dict):
            raise _invalid(where, f"Invalid value at '{where}': expected an object.")
        if "additionalProperties" in prop:
            for key, sub in item.items():
                _check_value(schemas, prop["additionalProperties"], sub, f"{where}[{key}]")
    elif kind == "string":
        enum = prop.get("enum")
        if enum and not isinstance(item, (str, int)):
            raise _invalid(where, f"Invalid value at '{where}': expected an enum name.")
        if enum and isinstance(item, str) and item not in enum:
            raise _invalid(where, f'Invalid value at \'{where}\' ({prop.get("format", "enum")}), "{item}"')
        if (prop.get("format") in {"int64", "uint64"} and not isinstance(item, (str, int))) or (
                not enum and prop.get("format") not in {"int64", "uint64"} and not isinstance(item, str)):
            raise _invalid(where, f"Invalid value at '{where}' (TYPE_STRING), {json.dumps(item)}")
    elif kind == "boolean" and not isinstance(item, bool):
        raise _invalid(where, f"Invalid value at '{where}' (TYPE_BOOL), {json.dumps(item)}")
    elif kind in {"integer", "number"} and (isinstance(item, bool) or not isinstance(item, (int, float, str))):
        raise _invalid(where, f"Invalid value at '{where}' (TYPE_{str(kind).upper()}), {json.dumps(item)}")
