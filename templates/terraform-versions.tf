$header

terraform {
  # 1.5: import {} blocks adopt what already exists; check {} blocks report without failing a run.
  required_version = ">= 1.5.0"

  required_providers {
    # Import ids and the fields kept as they are were checked against the provider's v7.45.0 source.
    # google-beta is not needed: neither provider has a resource for request-response logging
    # (see request_logging.tf).
    google = {
      source  = "hashicorp/google"
      version = ">= 7.0.0, < 8.0.0"
    }
  }
}

provider "google" {
$provider
}
