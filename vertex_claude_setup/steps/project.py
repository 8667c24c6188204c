"""Step: the project exists and is ACTIVE (read-only; the tool never creates or deletes projects)."""

from __future__ import annotations

from typing import Any

from vertex_claude_setup.engine.model import Context, Step
from vertex_claude_setup.errors import SetupError
from vertex_claude_setup.gcp import projects


class ProjectStep(Step):
    """Resource Manager v3 ``projects.get``; everything else depends on it."""

    name = "project"
    read_permissions = ("resourcemanager.projects.get",)

    def read(self, ctx: Context) -> Any:
        project = projects.get_project(ctx.google, ctx.config.project)
        if project["state"] != "ACTIVE":
            pid = ctx.config.project
            raise SetupError(f"project {pid} is {project['state']}, not ACTIVE",
                             f"restore it (`gcloud projects undelete {pid}`) or pick another project")
        return {"projectId": project["projectId"], "name": project["name"], "state": project["state"]}
