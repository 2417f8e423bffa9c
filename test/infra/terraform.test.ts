import fs from 'node:fs';
import path from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { beforeAll, describe, expect, it } from 'vitest';
import { hasCommand, ROOT, run } from './support.js';

/**
 * infra/terraform without a cloud account: `terraform fmt -check` (init and validate would download
 * providers), then every .tf file parsed with @cdktf/hcl2json and checked for what the deployment needs.
 */

const DIR = path.join(ROOT, 'infra', 'terraform');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Hcl = Record<string, any>;
const merged: Hcl = { resource: {}, variable: {}, output: {} };

beforeAll(async () => {
  for (const file of fs.readdirSync(DIR).filter((f) => f.endsWith('.tf'))) {
    const json = (await parse(file, fs.readFileSync(path.join(DIR, file), 'utf8'))) as Hcl;
    for (const [block, entries] of Object.entries(json)) {
      merged[block] ??= {};
      for (const [type, value] of Object.entries(entries as Hcl)) {
        merged[block][type] = { ...(merged[block][type] ?? {}), ...(value as Hcl) };
      }
    }
  }
});

/** The first body of resource `type.name`. */
const resource = (type: string, name: string): Hcl => {
  const body = merged.resource[type]?.[name];
  if (!body) throw new Error(`no resource ${type}.${name}`);
  return (Array.isArray(body) ? body[0] : body) as Hcl;
};

const HAS_TERRAFORM = hasCommand('terraform');

describe('Terraform', () => {
  it.skipIf(!HAS_TERRAFORM)('is formatted (terraform fmt -check -recursive)', () => {
    const result = run('terraform', ['fmt', '-check', '-recursive', '-diff', 'infra/terraform']);
    expect(result.stdout).toBe('');
    expect(result.status).toBe(0);
  });
  it.skipIf(HAS_TERRAFORM)('terraform fmt: SKIPPED because terraform is not on PATH', () => {
    expect(HAS_TERRAFORM).toBe(false);
  });

  it('enables the APIs and declares the registry, private Cloud SQL, versioned buckets, GKE pools', () => {
    const main = fs.readFileSync(path.join(DIR, 'main.tf'), 'utf8');
    for (const api of [
      'container',
      'sqladmin',
      'storage',
      'artifactregistry',
      'secretmanager',
      'servicenetworking',
      'iam',
    ]) {
      expect(main).toContain(`"${api}.googleapis.com"`);
    }
    expect(resource('google_artifact_registry_repository', 'images').format).toBe('DOCKER');

    const sql = resource('google_sql_database_instance', 'main');
    expect(sql.database_version).toMatch(/^POSTGRES_1[4-9]$/);
    const ip = sql.settings[0].ip_configuration[0];
    expect(ip.ipv4_enabled).toBe(false);
    expect(ip.private_network).toContain('google_compute_network.vpc');

    for (const bucket of ['data', 'artifacts']) {
      const b = resource('google_storage_bucket', bucket);
      expect(b.versioning[0].enabled, bucket).toBe(true);
      expect(b.uniform_bucket_level_access, bucket).toBe(true);
      expect(b.public_access_prevention, bucket).toBe('enforced');
    }

    const cluster = resource('google_container_cluster', 'main');
    expect(cluster.workload_identity_config[0].workload_pool).toContain('.svc.id.goog');
    expect(cluster.remove_default_node_pool).toBe(true);
    const cpu = resource('google_container_node_pool', 'cpu');
    expect(cpu.autoscaling[0].min_node_count).toBeGreaterThanOrEqual(1);
    const gpu = resource('google_container_node_pool', 'gpu');
    expect(gpu.autoscaling[0].min_node_count).toBe(0);
    expect(gpu.node_config[0].guest_accelerator[0].count).toBe(1);
    expect(gpu.node_config[0].taint[0]).toMatchObject({ key: 'nvidia.com/gpu', effect: 'NO_SCHEDULE' });
    for (const pool of [cpu, gpu])
      expect(pool.node_config[0].workload_metadata_config[0].mode).toBe('GKE_METADATA');
  });

  it('binds Workload Identity, grants the app bucket access, keeps the database URL and API token in Secret Manager', () => {
    const wi = resource('google_service_account_iam_member', 'workload_identity');
    expect(wi.role).toBe('roles/iam.workloadIdentityUser');
    expect(wi.member).toMatch(/svc\.id\.goog\[\$\{var\.k8s_namespace\}\/recsys\]/);
    // The Kubernetes service account's annotation (infra/k8s overlays) names recsys-<env>-app.
    expect(resource('google_service_account', 'app').account_id).toBe('${local.name}-app');
    expect(fs.readFileSync(path.join(DIR, 'main.tf'), 'utf8')).toContain(
      'name = "recsys-${var.environment}"',
    );
    expect(resource('google_storage_bucket_iam_member', 'app_artifacts').role).toBe(
      'roles/storage.objectAdmin',
    );
    expect(merged.resource.google_service_account_key).toBeUndefined(); // no key files, ever
    for (const secret of ['database_url', 'api_token']) {
      expect(resource('google_secret_manager_secret', secret)).toBeDefined();
      expect(resource('google_secret_manager_secret_version', secret).secret_data).toContain('${');
    }
  });

  it('declares its variables with descriptions, outputs, and an example tfvars for every required variable', () => {
    const variables = merged.variable as Hcl;
    for (const name of ['project_id', 'region', 'environment', 'gpu_type', 'k8s_namespace']) {
      expect(variables[name], name).toBeDefined();
    }
    for (const [name, body] of Object.entries(variables)) {
      expect((body as Hcl[])[0]?.description, name).toBeTruthy();
    }
    const required = Object.entries(variables)
      .filter(([, body]) => !('default' in ((body as Hcl[])[0] ?? {})))
      .map(([name]) => name);
    const example = fs.readFileSync(path.join(DIR, 'terraform.tfvars.example'), 'utf8');
    for (const name of required) expect(example).toMatch(new RegExp(`^${name}\\s*=`, 'm'));
    for (const name of [
      'cluster_name',
      'registry',
      'artifacts_uri',
      'sql_private_ip',
      'app_service_account',
    ]) {
      expect(merged.output[name], name).toBeDefined();
    }
  });
});
