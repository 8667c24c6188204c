$header

# The Vertex AI API serves Claude. disable_on_destroy = false: removing this resource, or destroying the
# whole configuration, leaves the API on (vertex-claude-setup never disables an API).
resource "google_project_service" "vertex_ai" {
  project            = $project
  service            = "aiplatform.googleapis.com"
  disable_on_destroy = false
}
$adopt
