import { listArtifacts, type ArtifactSummary } from '../artifacts/list.js';
import { promoteArtifact } from '../artifacts/pointer.js';
import { NotFoundError, ValidationError } from '../core/errors.js';
import type { ModelKind } from '../core/types.js';
import type { ArtifactStore } from '../storage/types.js';

/** What the promotion gate compares (metrics where higher is better, e.g. `ndcg@10`). */
export interface GateOptions {
  /** Metrics that must not get worse (default ndcg@10 and recall@10). */
  metrics?: readonly string[];
  /** How much lower a metric may be and still count as not worse (absolute; default 0). */
  tolerance?: number;
  /** Decide only; never move the pointer. */
  dryRun?: boolean;
}

export interface GateDecision {
  kind: ModelKind;
  candidate: string;
  current: string | null;
  promote: boolean;
  /** Whether the pointer was moved (false with dryRun, or when refused). */
  promoted: boolean;
  reason: string;
  /** Per metric: the candidate's and the current version's value. */
  comparison: Record<string, { candidate: number | null; current: number | null }>;
}

/**
 * Promote-if-not-worse, the retraining CronJob's last step: the candidate (default the newest version of the
 * model) replaces `current` only when each gate metric in its manifest is at least the current version's minus
 * `tolerance`. With no current version it is promoted; a candidate without the metrics (trained without
 * `--evaluate`) or already current is not. The move itself is promoteArtifact's (every file verified first;
 * on GCS a generation-guarded write, so a concurrent promote makes this one fail with CONFLICT).
 * @example const d = await promoteIfNotWorse(store, 'als', undefined, { metrics: ['ndcg@10'] });
 */
export async function promoteIfNotWorse(
  store: ArtifactStore,
  kind: ModelKind,
  version: string | undefined,
  options: GateOptions = {},
): Promise<GateDecision> {
  const metrics = options.metrics ?? ['ndcg@10', 'recall@10'];
  if (metrics.length === 0) throw new ValidationError('--metrics', 'name at least one metric');
  const tolerance = options.tolerance ?? 0;
  const versions = (await listArtifacts(store)).filter((a) => a.kind === kind);
  const candidate =
    version === undefined ? versions[versions.length - 1] : versions.find((a) => a.version === version);
  if (!candidate) throw new NotFoundError(`artifact of model ${kind}, version`, version ?? '(any)');
  const current = versions.find((a) => a.current) ?? null;
  const comparison: GateDecision['comparison'] = {};
  for (const name of metrics) {
    comparison[name] = {
      candidate: metricOf(candidate, name),
      current: current ? metricOf(current, name) : null,
    };
  }
  const decide = (): { promote: boolean; reason: string } => {
    if (current?.version === candidate.version)
      return { promote: false, reason: 'the candidate is already current' };
    const missing = metrics.filter((m) => comparison[m]?.candidate === null);
    if (missing.length > 0) {
      return { promote: false, reason: `the candidate has no ${missing.join(', ')} (train with --evaluate)` };
    }
    if (!current) return { promote: true, reason: 'no current version' };
    const worse = metrics.filter((m) => {
      const c = comparison[m];
      return (
        c?.current !== null && c?.current !== undefined && (c.candidate as number) < c.current - tolerance
      );
    });
    if (worse.length > 0) {
      const detail = worse.map(
        (m) => `${m} ${fmt(comparison[m]?.candidate)} < ${fmt(comparison[m]?.current)}`,
      );
      return { promote: false, reason: `worse than current: ${detail.join(', ')}` };
    }
    return { promote: true, reason: `not worse than ${current.version} (tolerance ${tolerance})` };
  };
  const { promote, reason } = decide();
  let promoted = false;
  if (promote && !options.dryRun) {
    await promoteArtifact(store, kind, candidate.version);
    promoted = true;
  }
  return {
    kind,
    candidate: candidate.version,
    current: current?.version ?? null,
    promote,
    promoted,
    reason,
    comparison,
  };
}

function metricOf(summary: ArtifactSummary, name: string): number | null {
  const value = summary.manifest?.metrics?.[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

const fmt = (v: number | null | undefined): string => (typeof v === 'number' ? v.toFixed(4) : '-');
