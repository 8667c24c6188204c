"""Step: the Vertex AI API (``aiplatform.googleapis.com``) is enabled — adopted if on, never disabled."""

from __future__ import annotations

from typing import Any

from vertex_claude_setup.engine.model import Change, Context, Step
from vertex_claude_setup.gcp import services, vertex

SERVICE = "aiplatform.googleapis.com"


class ApiStep(Step):
    """Service Usage v1: read the state, enable with an LRO wait, then wait until Vertex answers."""

    name = "api"
    depends_on = ("project",)
    read_permissions = ("serviceusage.services.get",)
    # enable, then wait until Vertex AI answers (it lists operations)
    apply_permissions = ("serviceusage.services.enable", "aiplatform.operations.list")

    def read(self, ctx: Context) -> Any:
        return {"service": SERVICE, "state": services.get_state(ctx.google, ctx.config.project, SERVICE)}

    def diff(self, ctx: Context, observed: Any) -> list[Change]:
        if observed["state"] == "ENABLED":
            return []
        return [Change(step=self.name, action="create",
                       summary=f"enable service {SERVICE} on project {ctx.config.project}",
                       before=observed["state"], after="ENABLED",
                       reason="Claude on Vertex AI is served by the Vertex AI API")]

    def apply(self, ctx: Context, change: Change) -> str:
        state = services.enable(ctx.google, ctx.config.project, SERVICE)
        # Enabling propagates over minutes: wait (bounded) until Vertex AI itself answers.
        region = next((r for r in ctx.config.regions if r != "global"), ctx.config.regions[0])
        vertex.wait_until_serving(ctx.google, ctx.config.project, region)
        return f"{SERVICE} is {state} on project {ctx.config.project}"
