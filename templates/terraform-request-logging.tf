$header

# Request-response logging of each configured (model, region) to BigQuery is set with Vertex AI's
# setPublisherModelConfig. Neither the google nor the google-beta provider has a resource for it: none up to
# v7.45.0 (2026-08-18); hashicorp/terraform-provider-google#24092 asks for one and the beta resource
# google_vertex_ai_publisher_model_config proposed in GoogleCloudPlatform/magic-modules#14950 was closed
# without being merged. Replace these blocks with that resource once a provider release has it.
#
# ALTERNATIVE used meanwhile: one terraform_data per pair runs `vertex-claude-setup logging enable` when it is
# created or its triggers change (never on destroy: Terraform never turns logging off). The command writes
# only loggingConfig (updateMask), keeps a destination already enabled elsewhere, and sets exactly the
# sampling rate below: the configured one, or the higher one already in place. It needs
# vertex-claude-setup on the PATH of the machine that runs Terraform (pip install vertex-claude-setup).

$body
