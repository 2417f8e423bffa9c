import { listArtifacts, type ArtifactSummary } from '../artifacts/list.js';
import { currentPointerKey, readCurrentPointer } from '../artifacts/pointer.js';
import { verifyArtifact } from '../artifacts/verify.js';
import { AppError, NotFoundError, ValidationError } from '../core/errors.js';
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
 * `--evaluate`) or already current is not. Before the move every file of the candidate is verified (as
 * promoteArtifact does), then the pointer is read once more and written only if it still names the version the
 * candidate was compared with; on GCS that write is conditional on the generation just read, so of two gates
 * racing, one wins and the other fails with CONFLICT or decides again against the winner.
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
  let verified = false;
  // Decide against the current version; promote only while `current` is still that version. When it moved
  // meanwhile (another trainer's gate), decide again against the new one (a few rounds at most).
  for (let round = 1; ; round += 1) {
    const versions = (await listArtifacts(store)).filter((a) => a.kind === kind);
    const candidate =
      version === undefined ? versions[versions.length - 1] : versions.find((a) => a.version === version);
    if (!candidate) throw new NotFoundError(`artifact of model ${kind}, version`, version ?? '(any)');
    const current = versions.find((a) => a.current) ?? null;
    const decision = decide(kind, candidate, current, metrics, tolerance);
    if (!decision.promote || options.dryRun) return decision;
    if (!verified) {
      await verifyArtifact(store, kind, candidate.version);
      verified = true;
    }
    // Read the pointer right before writing it: on GCS the write is then conditional on this very generation,
    // so a promote that lands in between makes this one fail with CONFLICT instead of overwriting it.
    const now = await readCurrentPointer(store, kind);
    if (now !== (current?.version ?? null)) {
      if (round >= 3) {
        throw new AppError('CONFLICT', `${kind}: current keeps moving (now ${now}); run the gate again`, {
          status: 409,
        });
      }
      continue;
    }
    await store.writePointer(currentPointerKey(kind), candidate.version);
    return { ...decision, promoted: true };
  }
}

function decide(
  kind: ModelKind,
  candidate: ArtifactSummary,
  current: ArtifactSummary | null,
  metrics: readonly string[],
  tolerance: number,
): GateDecision {
  const comparison: GateDecision['comparison'] = {};
  for (const name of metrics) {
    comparison[name] = {
      candidate: metricOf(candidate, name),
      current: current ? metricOf(current, name) : null,
    };
  }
  const result = (promote: boolean, reason: string): GateDecision => ({
    kind,
    candidate: candidate.version,
    current: current?.version ?? null,
    promote,
    promoted: false,
    reason,
    comparison,
  });
  if (current?.version === candidate.version) return result(false, 'the candidate is already current');
  const missing = metrics.filter((m) => comparison[m]?.candidate === null);
  if (missing.length > 0) {
    return result(false, `the candidate has no ${missing.join(', ')} (train with --evaluate)`);
  }
  if (!current) return result(true, 'no current version');
  const worse = metrics.filter((m) => {
    const c = comparison[m];
    return c?.current !== null && c?.current !== undefined && (c.candidate as number) < c.current - tolerance;
  });
  if (worse.length > 0) {
    const detail = worse.map((m) => `${m} ${fmt(comparison[m]?.candidate)} < ${fmt(comparison[m]?.current)}`);
    return result(false, `worse than current: ${detail.join(', ')}`);
  }
  return result(true, `not worse than ${current.version} (tolerance ${tolerance})`);
}

function metricOf(summary: ArtifactSummary, name: string): number | null {
  const value = summary.manifest?.metrics?.[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

const fmt = (v: number | null | undefined): string => (typeof v === 'number' ? v.toFixed(4) : '-');
