output "cluster_name" {
  description = "GKE cluster (gcloud container clusters get-credentials <name> --region <region>)."
  value       = google_container_cluster.main.name
}

output "registry" {
  description = "Artifact Registry path the images are pushed to (cloudbuild.yaml)."
  value       = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.images.repository_id}"
}

output "artifacts_uri" {
  description = "RECSYS_ARTIFACTS for the configmap."
  value       = "gs://${google_storage_bucket.artifacts.name}/artifacts"
}

output "data_bucket" {
  description = "Bucket for raw data and Parquet."
  value       = google_storage_bucket.data.name
}

output "sql_private_ip" {
  description = "Cloud SQL private address (inside the VPC only)."
  value       = google_sql_database_instance.main.private_ip_address
}

output "app_service_account" {
  description = "Google service account of the pods (the serviceaccount annotation)."
  value       = google_service_account.app.email
}

output "secrets" {
  description = "Secret Manager ids of the database URL and the API token."
  value = {
    database_url = google_secret_manager_secret.database_url.secret_id
    api_token    = google_secret_manager_secret.api_token.secret_id
  }
}
