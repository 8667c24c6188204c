$header

# Data Access audit logs are stored in the project's _Default log bucket: its retention is raised to the
# configured window when shorter, never lowered. The bucket always exists and cannot be deleted:
# destroying this resource only removes it from the state (provider documentation).
# project is written "projects/<id>" because the provider's import stores it that way and a change of
# project forces a replacement: the plain id would plan a destroy and re-create
# (hashicorp/terraform-provider-google#15725).

$body
