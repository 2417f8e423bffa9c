# The database URL and the API token, generated here and kept in Secret Manager; the Kubernetes secret
# `recsys-secrets` is created from them (infra/k8s/base/secret.template.yaml). Nothing secret is committed;
# the values do end up in the Terraform state, which lives in its GCS bucket, never in the repository.
resource "google_secret_manager_secret" "database_url" {
  secret_id = "${local.name}-database-url"
  replication {
    auto {}
  }
  depends_on = [google_project_service.apis]
}

resource "google_secret_manager_secret_version" "database_url" {
  secret      = google_secret_manager_secret.database_url.id
  secret_data = "postgresql://${google_sql_user.recsys.name}:${random_password.db.result}@${google_sql_database_instance.main.private_ip_address}:5432/${google_sql_database.recsys.name}"
}

resource "random_password" "api_token" {
  length  = 48
  special = false
}

resource "google_secret_manager_secret" "api_token" {
  secret_id = "${local.name}-api-token"
  replication {
    auto {}
  }
  depends_on = [google_project_service.apis]
}

resource "google_secret_manager_secret_version" "api_token" {
  secret      = google_secret_manager_secret.api_token.id
  secret_data = random_password.api_token.result
}
