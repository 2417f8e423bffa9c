import { ConfigMap, Namespace, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { CronJob, Job } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { hasCommand, run } from './support.js';

/**
 * infra/k8s as a cluster would receive it: each overlay rendered by `kubectl kustomize` (no cluster needed),
 * every object validated against the Kubernetes OpenAPI schemas (kubernetes-models + @kubernetes-models/
 * validate), then the rules kube-linter applies by default that matter here (kube-linter itself cannot be
 * installed on these machines), plus this project's own: probes, graceful shutdown, GPU scheduling, the gate.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

const MODELS: Record<string, new (data: Obj) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'batch/v1/Job': Job,
  'batch/v1/CronJob': CronJob,
};

/** The command lines the manifests run; test/storage/gcs-jobs.test.ts runs each of them as a process. */
const TESTED_COMMAND_LINES = new Set([
  'serve',
  'db migrate',
  'db seed',
  'train --source db --evaluate --no-promote',
  'artifacts gate als',
]);

const HAS_KUBECTL = hasCommand('kubectl');

function render(overlay: string): Obj[] {
  const result = run('kubectl', ['kustomize', `infra/k8s/overlays/${overlay}`]);
  if (result.status !== 0) throw new Error(`kubectl kustomize ${overlay} failed:\n${result.stderr}`);
  return parseAllDocuments(result.stdout)
    .map((d) => d.toJS() as Obj)
    .filter((o) => o !== null);
}

/** Every pod template with the object it belongs to. */
function podSpecs(objects: Obj[]): { owner: string; spec: Obj; labels: Record<string, string> }[] {
  const out: { owner: string; spec: Obj; labels: Record<string, string> }[] = [];
  for (const o of objects) {
    const template =
      o.kind === 'CronJob'
        ? o.spec.jobTemplate.spec.template
        : ['Deployment', 'Job'].includes(o.kind)
          ? o.spec.template
          : null;
    if (template)
      out.push({
        owner: `${o.kind}/${o.metadata.name}`,
        spec: template.spec,
        labels: template.metadata?.labels ?? {},
      });
  }
  return out;
}

const containersOf = (spec: Obj): Obj[] => [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
const matches = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe.skipIf(!HAS_KUBECTL)('Kubernetes manifests (kubectl kustomize + schemas + lint rules)', () => {
  for (const overlay of ['dev', 'prod']) {
    describe(`overlay ${overlay}`, () => {
      const objects = HAS_KUBECTL ? render(overlay) : [];
      const namespace = `recsys-${overlay}`;
      const pods = podSpecs(objects);
      const deployments = objects.filter((o) => o.kind === 'Deployment');

      it('renders the resources the deployment needs, all valid against the Kubernetes schemas', () => {
        const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
        expect(kinds).toEqual(
          [
            'ConfigMap/recsys-config',
            'CronJob/recsys-retrain',
            'Deployment/recsys-api',
            'HorizontalPodAutoscaler/recsys-api',
            'Job/recsys-migrate',
            'Job/recsys-seed',
            'Job/recsys-train-cpu',
            'Job/recsys-train-gpu',
            `Namespace/${namespace}`,
            'PodDisruptionBudget/recsys-api',
            'Service/recsys-api',
            'ServiceAccount/recsys',
          ].sort(),
        );
        for (const o of objects) {
          const Model = MODELS[`${o.apiVersion}/${o.kind}`];
          expect(Model, `no schema for ${o.apiVersion}/${o.kind}`).toBeDefined();
          expect(
            () => new (Model as NonNullable<typeof Model>)(o).validate(),
            `${o.kind}/${o.metadata.name}`,
          ).not.toThrow();
          if (o.kind !== 'Namespace')
            expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(namespace);
        }
        // No secret is rendered: it is created from Secret Manager, never from the repository.
        expect(objects.some((o) => o.kind === 'Secret')).toBe(false);
      });

      it('kube-linter defaults: non-root, read-only root filesystem, requests and limits, pinned images, no privilege', () => {
        expect(pods.length).toBeGreaterThanOrEqual(6);
        for (const { owner, spec } of pods) {
          for (const c of containersOf(spec)) {
            const where = `${owner} container ${c.name}`;
            expect(spec.securityContext?.runAsNonRoot ?? c.securityContext?.runAsNonRoot, where).toBe(true);
            expect(spec.securityContext?.runAsUser ?? c.securityContext?.runAsUser, where).toBeGreaterThan(0);
            expect(c.securityContext?.readOnlyRootFilesystem, where).toBe(true);
            expect(c.securityContext?.allowPrivilegeEscalation, where).toBe(false);
            expect(c.securityContext?.privileged ?? false, where).toBe(false);
            expect(c.securityContext?.capabilities?.drop, where).toContain('ALL');
            for (const kind of ['requests', 'limits']) {
              expect(c.resources?.[kind]?.cpu, `${where} ${kind}.cpu`).toBeDefined();
              expect(c.resources?.[kind]?.memory, `${where} ${kind}.memory`).toBeDefined();
            }
            expect(c.image, where).toMatch(
              /^[a-z0-9.-]+-docker\.pkg\.dev\/[^:@]+(:[\w.-]+|@sha256:[0-9a-f]{64})$/,
            );
            expect(c.image, where).not.toMatch(/:latest$/);
            // A read-only root needs somewhere to write: tsx's cache and the data dir are emptyDirs.
            const mounts = (c.volumeMounts ?? []).map((m: Obj) => m.mountPath);
            expect(mounts, where).toContain('/tmp');
            expect(spec.serviceAccountName, where).toBe('recsys');
          }
        }
      });

      it('every Deployment has anti-affinity across nodes, a PodDisruptionBudget and a Service that select its pods', () => {
        expect(deployments).toHaveLength(1);
        for (const d of deployments) {
          const labels = d.spec.template.metadata.labels;
          const anti = d.spec.template.spec.affinity?.podAntiAffinity;
          expect(
            anti?.preferredDuringSchedulingIgnoredDuringExecution ??
              anti?.requiredDuringSchedulingIgnoredDuringExecution,
          ).toBeTruthy();
          const pdbs = objects.filter(
            (o) => o.kind === 'PodDisruptionBudget' && matches(o.spec.selector.matchLabels, labels),
          );
          expect(pdbs, `PDB for ${d.metadata.name}`).toHaveLength(1);
          expect(objects.some((o) => o.kind === 'Service' && matches(o.spec.selector, labels))).toBe(true);
          const hpa = objects.find(
            (o) => o.kind === 'HorizontalPodAutoscaler' && o.spec.scaleTargetRef.name === d.metadata.name,
          );
          expect(hpa?.spec.minReplicas).toBeGreaterThanOrEqual(1);
          expect(d.spec.strategy.type).toBe('RollingUpdate');
          expect(d.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
        }
      });

      it('the API: /ready and /health probes, and a grace period above the drain delay plus the in-flight cut', () => {
        const api = deployments[0].spec.template.spec;
        const c = api.containers[0];
        expect(c.args).toEqual(['serve']);
        expect(c.readinessProbe.httpGet.path).toBe('/ready');
        expect(c.livenessProbe.httpGet.path).toBe('/health');
        const delay = Number(c.env.find((e: Obj) => e.name === 'RECSYS_SHUTDOWN_DELAY_MS')?.value);
        expect(delay).toBeGreaterThanOrEqual(5_000);
        // src/api/listen.ts gives in-flight requests 10 s after the listening socket closes.
        expect(api.terminationGracePeriodSeconds * 1000).toBeGreaterThan(delay + 10_000);
        // Readiness must fail (periodSeconds x failureThreshold) well inside the delay.
        expect(c.readinessProbe.periodSeconds * c.readinessProbe.failureThreshold * 1000).toBeLessThan(delay);
      });

      it('GPU training lands on the GPU pool; retraining trains from the database and promotes through the gate', () => {
        const gpu = pods.find((p) => p.owner === 'Job/recsys-train-gpu')?.spec;
        expect(gpu.nodeSelector['cloud.google.com/gke-accelerator']).toBeTruthy();
        expect(gpu.tolerations).toContainEqual(
          expect.objectContaining({ key: 'nvidia.com/gpu', effect: 'NoSchedule' }),
        );
        const train = gpu.initContainers[0];
        expect(train.image).toMatch(/recsys-gpu/);
        expect(train.resources.limits['nvidia.com/gpu']).toBe('1');
        const cron = objects.find((o) => o.kind === 'CronJob');
        expect(cron.spec.concurrencyPolicy).toBe('Forbid');
        const cronPod = cron.spec.jobTemplate.spec.template.spec;
        expect(cronPod.initContainers.map((c: Obj) => c.args.join(' '))).toEqual([
          'train --source db --evaluate --no-promote',
        ]);
        expect(cronPod.containers.map((c: Obj) => c.args.join(' '))).toEqual(['artifacts gate als']);
        for (const { spec } of pods) {
          for (const c of containersOf(spec)) expect(TESTED_COMMAND_LINES).toContain(c.args.join(' '));
        }
      });

      it('Workload Identity: the pods run as a service account bound to a Google service account', () => {
        const sa = objects.find((o) => o.kind === 'ServiceAccount');
        // infra/terraform names it `recsys-<env>-app` (iam.tf) and binds it to this namespace's `recsys`.
        expect(sa.metadata.annotations['iam.gke.io/gcp-service-account']).toMatch(
          new RegExp(`^recsys-${overlay}-app@[a-z0-9-_A-Z]+\\.iam\\.gserviceaccount\\.com$`),
        );
        const config = objects.find((o) => o.kind === 'ConfigMap');
        expect(config.data.RECSYS_ARTIFACTS).toMatch(new RegExp(`^gs://.*-recsys-${overlay}-artifacts/`));
      });
    });
  }
});

it.skipIf(HAS_KUBECTL)(
  'Kubernetes manifests: SKIPPED because kubectl is not on PATH (install kubectl >= 1.27)',
  () => {
    expect(HAS_KUBECTL).toBe(false);
  },
);
