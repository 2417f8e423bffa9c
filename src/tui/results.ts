/**
 * The results table: this run's test metrics beside earlier runs of the same dataset (from the artifact
 * manifests, and this session's evaluate runs), with the best value of each column marked; and a tune run's
 * trials sorted by their validation score.
 */
import { listArtifacts } from '../artifacts/list.js';
import type { ArtifactStore } from '../storage/types.js';
import type { TrialLine } from './run-state.js';

/** The columns of the results table: the ranking metrics at k and catalogue coverage. */
export const METRIC_COLUMNS = [
  { key: 'precision', head: 'P' },
  { key: 'recall', head: 'R' },
  { key: 'map', head: 'MAP' },
  { key: 'ndcg', head: 'NDCG' },
  { key: 'mrr', head: 'MRR' },
  { key: 'hitrate', head: 'HR' },
  { key: 'coverage', head: 'Cov' },
] as const;

export interface ResultRow {
  /** e.g. 'als (this run)', 'itemknn 20261201T1015'. */
  label: string;
  /** Metrics keyed as in `recsys evaluate --json` (`ndcg@10`). */
  metrics: Record<string, number>;
  /** The run just finished. */
  current: boolean;
  /** Whether the model's `current` pointer names this artifact. */
  promoted?: boolean;
}

/**
 * For each column, the index of the row with the highest value at k (rows lacking the figure never win).
 * @example bestPerColumn(rows, 10).ndcg; // 0
 */
export function bestPerColumn(rows: readonly ResultRow[], k: number): Record<string, number | null> {
  const best: Record<string, number | null> = {};
  for (const { key } of METRIC_COLUMNS) {
    let at: number | null = null;
    for (const [i, row] of rows.entries()) {
      const value = row.metrics[`${key}@${k}`];
      if (value === undefined || !Number.isFinite(value)) continue;
      if (at === null || value > (rows[at]?.metrics[`${key}@${k}`] as number)) at = i;
    }
    best[key] = at;
  }
  return best;
}

/**
 * Earlier runs on `dataset` whose artifacts carry test metrics at k, newest first (`skip`: this run's version).
 * @example const rows = await earlierRuns(store, 'ml-100k', 10);
 */
export async function earlierRuns(
  store: ArtifactStore,
  dataset: string,
  k: number,
  skip: string | null = null,
): Promise<ResultRow[]> {
  const rows: { at: string; row: ResultRow }[] = [];
  for (const artifact of await listArtifacts(store)) {
    const manifest = artifact.manifest;
    if (!manifest || manifest.dataset?.name !== dataset || artifact.version === skip) continue;
    const metrics = manifest.metrics;
    if (!metrics || metrics[`ndcg@${k}`] === undefined) continue;
    rows.push({
      at: manifest.createdAt,
      row: {
        // `20261202T064157386Z-...` -> `1202-0641`: month, day, hour, minute.
        label: `${artifact.kind} ${artifact.version.slice(4, 8)}-${artifact.version.slice(9, 13)}`,
        metrics,
        current: false,
        promoted: artifact.current,
      },
    });
  }
  return rows.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0)).map((r) => r.row);
}

/**
 * A tune run's trials, best validation score first (key e.g. 'ndcg@100'; ties keep trial order).
 * @example sortTrials(trials, 'ndcg@100')[0].trial;
 */
export function sortTrials(trials: readonly TrialLine[], key: string): TrialLine[] {
  return [...trials].sort((a, b) => (b.validation[key] ?? -Infinity) - (a.validation[key] ?? -Infinity));
}
