$header

# Data Access audit logs for aiplatform.googleapis.com record who called Claude; they are off by default.
# google_project_iam_audit_config is authoritative for its service: every log type and exemption in place
# is listed, so applying it removes nothing. Destroying it would turn these logs off: prevent_destroy.

$body
