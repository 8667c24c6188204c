"""The steps of ``plan``/``apply``: one module per resource, the step list (here) and ``workflow`` over it.

May import the capabilities (``availability``, ``checks``), ``engine``, ``gcp`` and below; never ``cli``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vertex_claude_setup.config import Config
    from vertex_claude_setup.engine.model import Step


# Every step name a plan can hold (a saved plan naming any other is refused); a test keeps it in sync.
STEP_NAMES = ("project", "api", "model_garden", "availability", "logging-dataset", "request-logging", "audit-logs",
              "log-bucket", "smoke_test")


def all_steps(config: Config) -> list[Step]:
    """Every step the config asks for: project, API, Model Garden enablement, availability, logging, smoke test."""
    from .api import ApiStep
    from .availability import AvailabilityStep
    from .model_garden import ModelGardenStep
    from .project import ProjectStep
    from .smoke import SmokeStep

    steps: list[Step] = [ProjectStep(), ApiStep(), ModelGardenStep(config.model_garden.enable), AvailabilityStep(),
                         *logging_steps(config)]
    if config.smoke_test.enabled:
        steps.append(SmokeStep())
    return steps


def logging_steps(config: Config) -> list[Step]:
    """The ``[logging]`` steps: BigQuery destination, per-pair logging, audit logs, log bucket retention."""
    if not config.logging.enabled:
        return []
    from .audit_logs import AuditLogsStep
    from .log_bucket import LogBucketStep
    from .logging_dataset import LoggingDatasetStep
    from .request_logging import RequestLoggingStep

    out: list[Step] = [LoggingDatasetStep(), RequestLoggingStep()]
    if config.logging.audit_logs:
        out += [AuditLogsStep(), LogBucketStep()]
    return out
