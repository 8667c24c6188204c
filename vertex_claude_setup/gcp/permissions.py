"""Which predefined role grants a permission: the fix we print when one is missing."""

from __future__ import annotations

# permission -> narrowest predefined role that grants it
ROLE_FOR_PERMISSION: dict[str, str] = {
    "resourcemanager.projects.get": "roles/browser",
    "resourcemanager.projects.list": "roles/browser",
    "resourcemanager.folders.list": "roles/browser",
    "resourcemanager.projects.getIamPolicy": "roles/iam.securityReviewer",
    "resourcemanager.projects.setIamPolicy": "roles/resourcemanager.projectIamAdmin",
    "serviceusage.services.get": "roles/serviceusage.serviceUsageViewer",
    "serviceusage.services.list": "roles/serviceusage.serviceUsageViewer",
    "serviceusage.services.enable": "roles/serviceusage.serviceUsageAdmin",
    "aiplatform.endpoints.predict": "roles/aiplatform.user",
    "aiplatform.endpoints.update": "roles/aiplatform.user",
    "aiplatform.endpoints.get": "roles/aiplatform.viewer",
    "aiplatform.operations.list": "roles/aiplatform.viewer",
    "bigquery.datasets.create": "roles/bigquery.dataEditor",
    "bigquery.datasets.get": "roles/bigquery.metadataViewer",
    "bigquery.datasets.update": "roles/bigquery.dataOwner",
    "bigquery.tables.get": "roles/bigquery.metadataViewer",
    "bigquery.tables.update": "roles/bigquery.dataEditor",
    "bigquery.tables.getData": "roles/bigquery.dataViewer",
    "bigquery.jobs.create": "roles/bigquery.jobUser",
    "logging.buckets.get": "roles/logging.viewer",
    "logging.buckets.list": "roles/logging.viewer",
    "logging.buckets.update": "roles/logging.configWriter",
    "cloudquotas.quotas.get": "roles/cloudquotas.viewer",
    "orgpolicy.policy.get": "roles/orgpolicy.policyViewer",
    # Enabling a partner model in Model Garden (gcp/model_garden.py ENABLE_PERMISSIONS).
    "consumerprocurement.entitlements.get": "roles/consumerprocurement.entitlementManager",
    "consumerprocurement.consents.check": "roles/consumerprocurement.entitlementManager",
    "consumerprocurement.consents.grant": "roles/consumerprocurement.entitlementManager",
}


def role_for(permission: str) -> str:
    """The role to grant for ``permission`` (falls back to the service's admin-ish role name)."""
    return ROLE_FOR_PERMISSION.get(permission, f"a role with {permission}")
