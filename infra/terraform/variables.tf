variable "project_id" {
  description = "Google Cloud project that holds everything."
  type        = string
}

variable "region" {
  description = "Region of the cluster, the database, the buckets and the registry."
  type        = string
  default     = "europe-west1"
}

variable "environment" {
  description = "dev or prod: names, sizes and deletion protection follow it."
  type        = string
  default     = "dev"
  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment must be dev or prod."
  }
}

variable "cpu_machine_type" {
  description = "Machine type of the CPU node pool (API pods, CPU training)."
  type        = string
  default     = "e2-standard-4"
}

variable "cpu_node_count_max" {
  description = "Most nodes of the CPU pool (it autoscales from 1)."
  type        = number
  default     = 5
}

variable "gpu_machine_type" {
  description = "Machine type of the GPU node pool."
  type        = string
  default     = "n1-standard-8"
}

variable "gpu_type" {
  description = "Accelerator of the GPU pool; the training Job's nodeSelector names the same type."
  type        = string
  default     = "nvidia-tesla-t4"
}

variable "gpu_node_count_max" {
  description = "Most nodes of the GPU pool; it scales to zero when no training Job runs."
  type        = number
  default     = 2
}

variable "db_tier" {
  description = "Cloud SQL machine tier."
  type        = string
  default     = "db-custom-2-7680"
}

variable "k8s_namespace" {
  description = "Namespace of the recsys workloads (the kustomize overlay's)."
  type        = string
  default     = "recsys-dev"
}
