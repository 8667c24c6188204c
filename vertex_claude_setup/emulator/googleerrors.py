"""Google error bodies as the real APIs send them: ``{"error": {code, message, status, details}}``."""

from __future__ import annotations

from typing import Any

HTTP_FOR_STATUS = {
    "INVALID_ARGUMENT": 400, "FAILED_PRECONDITION": 400, "OUT_OF_RANGE": 400, "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403, "NOT_FOUND": 404, "ALREADY_EXISTS": 409, "ABORTED": 409,
    "RESOURCE_EXHAUSTED": 429, "CANCELLED": 499, "INTERNAL": 500, "UNKNOWN": 500, "UNIMPLEMENTED": 501,
    "UNAVAILABLE": 503, "DEADLINE_EXCEEDED": 504,
}
GRPC_CODE = {
    "OK": 0, "CANCELLED": 1, "UNKNOWN": 2, "INVALID_ARGUMENT": 3, "DEADLINE_EXCEEDED": 4, "NOT_FOUND": 5,
    "ALREADY_EXISTS": 6, "PERMISSION_DENIED": 7, "RESOURCE_EXHAUSTED": 8, "FAILED_PRECONDITION": 9,
    "ABORTED": 10, "OUT_OF_RANGE": 11, "UNIMPLEMENTED": 12, "INTERNAL": 13, "UNAVAILABLE": 14,
    "DATA_LOSS": 15, "UNAUTHENTICATED": 16,
}
STATUS_FOR_HTTP = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                   409: "ABORTED", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE",
                   504: "DEADLINE_EXCEEDED"}


class ApiError(Exception):
    """Raised by emulator handlers; the server turns it into the Google error body."""

    def __init__(self, status: str, message: str, details: list[dict[str, Any]] | None = None,
                 http_code: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details or []
        self.http_code = http_code or HTTP_FOR_STATUS.get(status, 500)

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.http_code, "message": self.message, "status": self.status}
        if self.details:
            error["details"] = self.details
        return {"error": error}

    def status_json(self) -> dict[str, Any]:
        """As a ``google.rpc.Status`` (the ``error`` of a failed Operation: gRPC code numbers)."""
        out: dict[str, Any] = {"code": GRPC_CODE.get(self.status, 2), "message": self.message}
        if self.details:
            out["details"] = self.details
        return out


def error_info(reason: str, domain: str, metadata: dict[str, str]) -> dict[str, Any]:
    return {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason, "domain": domain,
            "metadata": metadata}


def retry_info(delay: str) -> dict[str, Any]:
    return {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}


def service_disabled(project: str, service: str, title: str) -> ApiError:
    url = f"https://console.developers.google.com/apis/api/{service}/overview?project={project}"
    message = (f"{title} has not been used in project {project} before or it is disabled. Enable it by visiting "
               f"{url} then retry. If you enabled this API recently, wait a few minutes for the action to "
               "propagate to our systems and retry.")
    return ApiError("PERMISSION_DENIED", message, [
        error_info("SERVICE_DISABLED", "googleapis.com", {
            "service": service, "consumer": f"projects/{project}", "containerInfo": project,
            "serviceTitle": title, "activationUrl": url}),
        {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US", "message": message},
        {"@type": "type.googleapis.com/google.rpc.Help",
         "links": [{"description": "Google developers console API activation", "url": url}]},
    ])


def billing_disabled(project: str, service: str) -> ApiError:
    message = (f"This API method requires billing to be enabled. Please enable billing on project #{project} by "
               f"visiting https://console.developers.google.com/billing/enable?project={project} then retry. If "
               "you enabled billing for this project recently, wait a few minutes for the action to propagate "
               "to our systems and retry.")
    return ApiError("PERMISSION_DENIED", message, [
        error_info("BILLING_DISABLED", "googleapis.com", {
            "consumer": f"projects/{project}", "containerInfo": project, "service": service}),
    ])


def permission_denied(permission: str, resource: str, domain: str) -> ApiError:
    message = f"Permission '{permission}' denied on resource '{resource}' (or it may not exist)."
    return ApiError("PERMISSION_DENIED", message, [
        error_info("IAM_PERMISSION_DENIED", domain, {"permission": permission, "resource": resource}),
    ])
