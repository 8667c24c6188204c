"""Check: every configured (model, region) is callable — read-only, like a Terraform ``check`` block.

It probes with the same free count-tokens call as ``regions audit`` and never changes anything.
Unavailable pairs are errors with the fix; deprecated models are warnings naming the replacement.
While the API step is about to enable Vertex AI, probing would only answer SERVICE_DISABLED, so
the check is deferred ("known after apply") and ``apply`` runs it once the API is on.
"""

from __future__ import annotations

from typing import Any

from vertex_claude_setup import catalog
from vertex_claude_setup.engine.model import Context, Finding, Step


class AvailabilityStep(Step):
    """Probe the configured models × regions; report, never change."""

    name = "availability"
    # After Model Garden: a model apply enables there is probed once it is enabled ("known after apply").
    depends_on = ("api", "model_garden")
    read_permissions = ("aiplatform.endpoints.predict",)  # count tokens

    def read(self, ctx: Context) -> Any:
        if ctx.pending_upstream:
            return {"deferred": True, "waiting_for": sorted(ctx.pending_upstream)}
        from vertex_claude_setup.availability.audit import cache_target, run_audit
        from vertex_claude_setup.availability.cache import CACHE_FILE, AuditCache

        cfg = ctx.config
        cache = AuditCache(cfg.state_dir / CACHE_FILE, cache_target(ctx.google), cfg.project)
        # Always fresh (plan reads real state); the answers refresh the audit cache for later commands.
        audit = run_audit(ctx.google, cfg.project, list(cfg.models), list(cfg.regions), mode="auto", cache=cache,
                          refresh=True, quotas=False)
        return {"deferred": False, "pairs": [
            {"model": r.model, "region": r.region, "class": r.availability.value, "fix": r.verdict.fix,
             "message": r.verdict.message, **({"probe": "generate"} if r.by_generate else {})}
            for r in audit.ordered()]}

    def check(self, ctx: Context, observed: Any) -> list[Finding]:
        findings = [Finding(self.name, "warning", warning,
                            "update models in vertex-claude.toml (`vertex-claude-setup models` lists them)")
                    for warning in (catalog.model_warning(m) for m in ctx.config.models) if warning]
        if observed.get("deferred") and "api" not in observed.get("waiting_for", ["api"]):
            return [*findings, Finding(self.name, "info",
                                       "model availability: known after apply (Model Garden enables the "
                                       "configured models first); apply checks it once they are enabled")]
        if observed.get("deferred"):
            return [*findings, Finding(self.name, "info",
                                       "model availability: known after apply (the Vertex AI API is being "
                                       "enabled first); apply checks it once the API is on")]
        pairs = observed["pairs"]
        bad = [p for p in pairs if p["class"] != "AVAILABLE"]
        for pair in bad:
            findings.append(Finding(self.name, "error",
                                    f"{pair['model']} is not available in {pair['region']}: {pair['class']}"
                                    + (f" ({pair['message']})" if pair["message"] else ""), pair["fix"]))
        if not bad:
            findings.append(Finding(self.name, "info", f"all {len(pairs)} configured (model, region) pairs are "
                                                       "available"))
        generated = [p for p in pairs if p.get("probe") == "generate"]
        if generated:
            where = ", ".join(f"{p['model']} in {p['region']}" for p in generated)
            findings.append(Finding(self.name, "info", f"probed with a 1-token generate request (count-tokens is "
                                                       f"not served there): {where}"))
        return findings
