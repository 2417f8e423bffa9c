/**
 * Runs any Recommender over a split with full ranking over all items, under the seed project's protocol:
 * - training values are binary positives (rating >= threshold; every interaction of implicit-only data);
 * - recommendations leave out every item the user has in train (all train ratings, not only positives);
 * - metrics at k are averaged over users with at least one positive in the held-out slice;
 * - those of them with no positive in train get the popularity fallback and are counted (`fallbackUsers`).
 */
import { CancelledError } from '../core/errors.js';
import type { ProgressListener } from '../core/progress.js';
import type { TopK } from '../core/types.js';
import { interactionsToCsr } from '../dataset/csr.js';
import { trainingMatrix } from '../dataset/confidence.js';
import type { CsrMatrix, Interactions } from '../dataset/types.js';
import type { Recommender, TrainingMatrix } from '../models/types.js';
import {
  catalogCoverage,
  meanPopularity,
  novelty,
  RANKING_METRIC_NAMES,
  RANKING_METRICS,
  type RankingMetricName,
} from './metrics.js';

/** Ratings at or above this are positives (the seed's 4 stars). */
export const DEFAULT_POSITIVE_THRESHOLD = 4;

/** A split prepared once and shared by every model evaluated on it. */
export interface PreparedEvaluation {
  /** What models fit on: binary positives of train. */
  train: TrainingMatrix;
  /** Every train interaction (user x item): excluded from each user's recommendations. */
  seen: CsrMatrix;
  /** Held-out positives (user x item): the relevant items. */
  relevant: CsrMatrix;
  /** Users with at least one held-out positive, ascending: the users evaluated. */
  users: Int32Array;
  /** Per user: 1 when they have no positive in train (they get the fallback). */
  noTrainPositive: Uint8Array;
  /** Train positives per item (for mean popularity and novelty). */
  itemPopularity: Float64Array;
  /** Users with at least one train positive (novelty's denominator). */
  trainUsers: number;
}

/**
 * Which train items a user's recommendations leave out: `all` (the seed protocol: every movie they rated in
 * train) or `positives` (only their train positives, what a library fed the positive matrix alone filters;
 * the reference item-kNN figures of issue 5 were measured this way).
 */
export type SeenPolicy = 'all' | 'positives';

export interface PrepareOptions {
  /** Ratings >= this are positives (default 4); implicit-only data has every interaction positive. */
  positiveThreshold?: number;
  /** Default 'all'. */
  seen?: SeenPolicy;
}

/**
 * Prepares a split for evaluation: the binary training matrix, the seen and relevant matrices, the users to
 * evaluate. `heldOut` is the test slice (or the validation slice when tuning); both share train's encoders.
 * @example const prepared = prepareEvaluation(split.train, split.test);
 */
export function prepareEvaluation(
  train: Interactions,
  heldOut: Interactions,
  options: PrepareOptions = {},
): PreparedEvaluation {
  const threshold = options.positiveThreshold ?? DEFAULT_POSITIVE_THRESHOLD;
  const positives = (i: Interactions) =>
    trainingMatrix(i, { weighting: 'binary', threshold: i.rating ? threshold : 'none' });
  const trainMatrix = positives(train);
  const relevant = positives(heldOut).userItems;
  const seen = (options.seen ?? 'all') === 'all' ? interactionsToCsr(train) : trainMatrix.userItems;
  const nUsers = train.users.size;
  const evaluated: number[] = [];
  const noTrainPositive = new Uint8Array(nUsers);
  let trainUsers = 0;
  for (let u = 0; u < nUsers; u++) {
    const trainCount =
      (trainMatrix.userItems.indptr[u + 1] as number) - (trainMatrix.userItems.indptr[u] as number);
    if (trainCount > 0) trainUsers++;
    else noTrainPositive[u] = 1;
    if ((relevant.indptr[u + 1] as number) > (relevant.indptr[u] as number)) evaluated.push(u);
  }
  const itemPopularity = new Float64Array(train.items.size);
  const { indices } = trainMatrix.userItems;
  for (let p = 0; p < indices.length; p++) itemPopularity[indices[p] as number]! += 1;
  return {
    train: trainMatrix,
    seen,
    relevant,
    users: Int32Array.from(evaluated),
    noTrainPositive,
    itemPopularity,
    trainUsers,
  };
}

export interface EvaluateOptions {
  k: number;
  /** Fitted on the same `train`; ranks for users without a train positive. Without one, the model does. */
  fallback?: Recommender;
  /** Users per recommend call (default 1024): bounds the models' working memory. */
  batchSize?: number;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  /** Progress phase name (default 'evaluate <kind>'). */
  phase?: string;
}

export interface EvaluationResult {
  k: number;
  /** Ranking metrics at k averaged over the evaluated users. */
  metrics: Record<RankingMetricName, number>;
  /** Standard error of each mean (sample standard deviation over users / sqrt(users)). */
  standardErrors: Record<RankingMetricName, number>;
  /** Distinct recommended items / items in the dataset. */
  coverage: number;
  /** Mean train-positive count of recommended items. */
  meanPopularity: number;
  /** Mean -log2(share of train users) of recommended items, in bits. */
  novelty: number;
  usersEvaluated: number;
  /** Evaluated users without a train positive, ranked by the fallback. */
  fallbackUsers: number;
  seconds: number;
}

/**
 * Ranks all items for every evaluated user (their train items excluded) and scores the lists.
 * @example const result = await evaluateRecommender(model, prepared, { k: 10, fallback: popularity });
 */
export async function evaluateRecommender(
  model: Recommender,
  prepared: PreparedEvaluation,
  options: EvaluateOptions,
): Promise<EvaluationResult> {
  const started = performance.now();
  const { k } = options;
  const batchSize = options.batchSize ?? 1024;
  const phase = options.phase ?? `evaluate ${model.kind}`;
  const personalized: number[] = [];
  const cold: number[] = [];
  for (const u of prepared.users) {
    (prepared.noTrainPositive[u] === 1 && options.fallback ? cold : personalized).push(u);
  }
  const zeros = (): Record<RankingMetricName, number> =>
    Object.fromEntries(RANKING_METRIC_NAMES.map((n) => [n, 0])) as Record<RankingMetricName, number>;
  const sums = zeros();
  const squares = zeros();
  const lists: Int32Array[] = [];
  const total = prepared.users.length;
  let done = 0;
  const groups: [Recommender, number[]][] = [[model, personalized]];
  if (options.fallback) groups.push([options.fallback, cold]);
  for (const [recommender, users] of groups) {
    for (let start = 0; start < users.length; start += batchSize) {
      if (options.signal?.aborted) throw new CancelledError(phase);
      const batch = Int32Array.from(users.slice(start, start + batchSize));
      const top = await recommender.recommend(batch, k, {
        excludeSeen: true,
        exclude: rowsOf(prepared.seen, batch),
      });
      scoreBatch(top, batch, prepared.relevant, sums, squares, lists);
      done += batch.length;
      options.onProgress?.({ phase, done, total, unit: 'users' });
    }
  }
  const metrics = zeros();
  const standardErrors = zeros();
  for (const name of RANKING_METRIC_NAMES) {
    const mean = total > 0 ? sums[name] / total : 0;
    metrics[name] = mean;
    const variance = total > 1 ? Math.max(0, (squares[name] - total * mean * mean) / (total - 1)) : 0;
    standardErrors[name] = total > 0 ? Math.sqrt(variance / total) : 0;
  }
  return {
    k,
    metrics,
    standardErrors,
    coverage: catalogCoverage(lists, prepared.train.items.size, k),
    meanPopularity: meanPopularity(lists, prepared.itemPopularity, k),
    novelty: novelty(lists, prepared.itemPopularity, Math.max(prepared.trainUsers, 1), k),
    usersEvaluated: total,
    fallbackUsers: options.fallback ? cold.length : 0,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Adds each query's metrics (and their squares) into the sums; keeps its list for the catalogue aggregates. */
function scoreBatch(
  top: TopK,
  batch: Int32Array,
  relevant: CsrMatrix,
  sums: Record<RankingMetricName, number>,
  squares: Record<RankingMetricName, number>,
  lists: Int32Array[],
): void {
  for (let q = 0; q < batch.length; q++) {
    const u = batch[q] as number;
    const ranked = top.ids.slice(q * top.k, (q + 1) * top.k);
    const relevantSet = new Set(relevant.indices.subarray(relevant.indptr[u], relevant.indptr[u + 1]));
    for (const name of RANKING_METRIC_NAMES) {
      const value = RANKING_METRICS[name](ranked, relevantSet, top.k);
      sums[name] += value;
      squares[name] += value * value;
    }
    lists.push(ranked);
  }
}

/**
 * The rows `rows` of `m` as a new CSR (row q = m's row rows[q]): the per-query exclusion matrix.
 * @example const exclude = rowsOf(seen, Int32Array.of(4, 2));
 */
export function rowsOf(m: CsrMatrix, rows: Int32Array): CsrMatrix {
  const indptr = new Int32Array(rows.length + 1);
  for (let q = 0; q < rows.length; q++) {
    const r = rows[q] as number;
    indptr[q + 1] = (indptr[q] as number) + (m.indptr[r + 1] as number) - (m.indptr[r] as number);
  }
  const nnz = indptr[rows.length] as number;
  const indices = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  for (let q = 0; q < rows.length; q++) {
    const r = rows[q] as number;
    indices.set(m.indices.subarray(m.indptr[r], m.indptr[r + 1]), indptr[q]);
    values.set(m.values.subarray(m.indptr[r], m.indptr[r + 1]), indptr[q]);
  }
  return { nRows: rows.length, nCols: m.nCols, indptr, indices, values };
}
