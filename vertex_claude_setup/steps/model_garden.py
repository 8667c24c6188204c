"""Step: each configured Claude model is enabled for the project in Model Garden — opt-in.

``plan`` reads every configured model's enablement (the probe's NOT_ENABLED, and Model Garden's EULA check
for a model that is not enabled) and shows it. Enabling accepts the publisher's terms for the project, so
only ``[model_garden] enable = true`` lets ``apply`` call ``enableModel``; without it, ``plan`` says what to
do and where. Enabling is verified by probing again (it may take a moment to reach every endpoint); an
``ENABLEMENT_STATE_FAILED`` answer (the use-case form cannot be automated) is a failed change with the link.
"""

from __future__ import annotations

import time
from typing import Any

from vertex_claude_setup.engine.model import Change, Context, Finding, Step
from vertex_claude_setup.errors import SetupError
from vertex_claude_setup.gcp import model_garden


class ModelGardenStep(Step):
    """Enable the configured models in Model Garden (``enableModel``), only when the config opts in."""

    name = "model_garden"
    depends_on = ("api",)
    # the probe's answer per model, then the EULA check for a model that is not enabled
    read_permissions = ("aiplatform.endpoints.predict", "resourcemanager.projects.get")

    def __init__(self, enable: bool = False) -> None:
        # enableModel is called only when the config opts in; then apply needs the entitlement permissions
        if enable:
            from vertex_claude_setup.gcp.model_garden import ENABLE_PERMISSIONS

            self.apply_permissions = ENABLE_PERMISSIONS

    def read(self, ctx: Context) -> Any:
        if ctx.pending_upstream:
            return {"deferred": True, "waiting_for": sorted(ctx.pending_upstream)}
        from vertex_claude_setup.availability import enablement

        cfg = ctx.config
        models = enablement.read(ctx.google, cfg.project, list(cfg.models), list(cfg.regions))
        return {"deferred": False, "models": [m.to_json() for m in models]}

    def diff(self, ctx: Context, observed: Any) -> list[Change]:
        if observed.get("deferred") or not ctx.config.model_garden.enable:
            return []
        project = ctx.config.project
        return [Change(step=self.name, action="create",
                       summary=f"enable {m['model']} for project {project} in Model Garden (enableModel)",
                       before="NOT_ENABLED", after="ENABLED",
                       reason="[model_garden] enable = true: enabling accepts Anthropic's terms for this project",
                       data={"model": m["model"]})
                for m in observed["models"] if m["state"] == "NOT_ENABLED"]

    def check(self, ctx: Context, observed: Any) -> list[Finding]:
        project = ctx.config.project
        if observed.get("deferred"):  # without enable, the availability check's "known after apply" says it
            return [Finding(self.name, "info", "Model Garden enablement: known after apply (the Vertex AI API is "
                                               "being enabled first); apply enables the configured models that "
                                               "are not")] if ctx.config.model_garden.enable else []
        findings: list[Finding] = []
        models = observed["models"]
        for m in models:
            if m["state"] == "NOT_ENABLED" and not ctx.config.model_garden.enable:
                terms = {True: "; its terms are accepted", False: "; its terms are not accepted yet"}.get(
                    m["eula_accepted"], "")
                findings.append(Finding(
                    self.name, "warning", f"Model Garden: {m['model']} is not enabled for project {project}{terms}",
                    f"enable it at {model_garden.model_garden_url(project, m['model'])} (accept Anthropic's terms "
                    "and complete the use-case form), or set enable = true under [model_garden] in "
                    "vertex-claude.toml and run `vertex-claude-setup apply`"))
            elif m["state"] == "UNKNOWN":
                findings.append(Finding(self.name, "info", f"Model Garden: whether {m['model']} is enabled is not "
                                                           f"known ({m['class']} in {m['region']})"))
        enabled = sum(m["state"] == "ENABLED" for m in models)
        to_enable = sum(m["state"] == "NOT_ENABLED" for m in models) if ctx.config.model_garden.enable else 0
        # All enabled (or about to be, as planned changes): the availability check says the rest for every pair.
        if enabled + to_enable < len(models):
            findings.append(Finding(self.name, "info", f"Model Garden: {enabled} of {len(models)} configured "
                                                       f"models enabled for project {project}"))
        return findings

    def apply(self, ctx: Context, change: Change) -> str:
        project, model = ctx.config.project, str(change.data["model"])
        done = model_garden.enable_model(ctx.google, project, model)
        if not done.ok:
            raise SetupError(f"Model Garden did not enable {model} for project {project}: {done.state} (its "
                             "prerequisites are not met: the use-case form and consents, or a Private Offer)",
                             f"complete them at {model_garden.model_garden_url(project, model)} (that form cannot "
                             "be automated), then run `vertex-claude-setup apply` again")
        return f"{model} enabled for project {project} ({done.state})"

    def verify(self, ctx: Context) -> None:
        """Probe again until no enabled model still answers NOT_ENABLED, within the propagation deadline."""
        from vertex_claude_setup.gcp.propagation import deadline_from_env

        deadline = time.monotonic() + deadline_from_env()
        delay = 0.5
        while True:
            left = [m for m in self.read(ctx)["models"] if m["state"] == "NOT_ENABLED"]
            if not left:
                return
            if time.monotonic() + delay > deadline:
                names = ", ".join(m["model"] for m in left)
                raise SetupError(f"{self.name}: {names} still answer NOT_ENABLED after enableModel succeeded",
                                 "re-run `vertex-claude-setup apply` in a few minutes: enabling can take time to "
                                 "reach every endpoint")
            time.sleep(delay)
            delay = min(delay * 2, 10.0)
