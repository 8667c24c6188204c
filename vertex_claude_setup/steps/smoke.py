"""Step: the smoke test — a Terraform-style ``check``: runs at the end of ``apply``, reports, never rolls back.

In ``plan`` it is deferred (nothing is called: the API may not even be enabled yet); ``apply`` runs
it after every change is made, and ``apply --fail-on-check`` turns a failure into exit 3.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vertex_claude_setup.engine.model import Context, Step

if TYPE_CHECKING:
    from vertex_claude_setup.checks.smoke import SmokeResult


class SmokeStep(Step):
    """The seed's "Hey Claude!" request for ``[smoke_test]`` model and region."""

    name = "smoke_test"
    depends_on = ("api",)
    apply_permissions = ("aiplatform.endpoints.predict",)  # the "Hey Claude!" check that ends apply

    def read(self, ctx: Context) -> Any:
        """No Google call in plan: the check's inputs only (so a saved plan is not stale for it)."""
        smoke = ctx.config.smoke_test
        return {"check": "deferred until the end of apply", "model": smoke.model, "region": smoke.region,
                "max_tokens": smoke.max_tokens}

    def run_check(self, ctx: Context) -> SmokeResult:
        """The check itself, called by ``apply`` once every change is made."""
        from vertex_claude_setup.checks import smoke
        from vertex_claude_setup.errors import SetupError

        model, region = ctx.config.smoke_test.model, ctx.config.smoke_test.region
        try:
            return smoke.run_one(ctx.google, model, region)
        except SetupError as exc:  # the check reports (never fails apply after its changes are made)
            return smoke.credentials_failure(model, region, exc)
