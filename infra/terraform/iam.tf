# Nodes run as a minimal service account; the pods act as recsys-app through Workload Identity (no keys).
resource "google_service_account" "nodes" {
  account_id   = "${local.name}-nodes"
  display_name = "recsys GKE nodes"
}

resource "google_project_iam_member" "nodes" {
  for_each = toset([
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/artifactregistry.reader",
  ])
  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.nodes.email}"
}

resource "google_service_account" "app" {
  account_id   = "${local.name}-app"
  display_name = "recsys workloads (Workload Identity)"
}

# The Kubernetes service account `recsys` in the overlay's namespace may act as recsys-app.
resource "google_service_account_iam_member" "workload_identity" {
  service_account_id = google_service_account.app.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${var.project_id}.svc.id.goog[${var.k8s_namespace}/recsys]"
}

resource "google_storage_bucket_iam_member" "app_artifacts" {
  bucket = google_storage_bucket.artifacts.name
  role   = "roles/storage.objectAdmin"
  member = "serviceAccount:${google_service_account.app.email}"
}

resource "google_storage_bucket_iam_member" "app_data" {
  bucket = google_storage_bucket.data.name
  role   = "roles/storage.objectAdmin"
  member = "serviceAccount:${google_service_account.app.email}"
}

resource "google_secret_manager_secret_iam_member" "app" {
  for_each  = { database_url = google_secret_manager_secret.database_url.id, api_token = google_secret_manager_secret.api_token.id }
  secret_id = each.value
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.app.email}"
}
