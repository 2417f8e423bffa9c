/**
 * The item-to-item protocol behind `recsys evaluate --task similar`: does a model's "similar movies" list for
 * the movie a user liked before lead to the movie they liked next?
 *
 * - Positives only (rating >= 4; every interaction of implicit-only data), split per user by the split
 *   module's own strategies: the last positive to test (the target), the one before it to validation (the
 *   query), users with fewer than 3 positives whole in train (a user needs a train positive, or the split
 *   drops their held-out pairs). Data with timestamps orders them by time (equal
 *   timestamps in row order, as the seed protocol does); data without (the ml-1m interactions) gets
 *   `random-leave-n` with seed 42, so there the query and the target are two of the user's positives drawn at
 *   random, not a temporal pair.
 * - Models fit on the binary positives of train + validation: the query is history the model knows, only the
 *   target pair is held out. Held-out pairs whose movie has no train positive are dropped (the split's rule);
 *   a user counts when both the query and the target survive.
 * - Per user: `similarItems(query, k)`, scored by HR@k and NDCG@k against the single target (metrics.ts), and
 *   the share of all answers that are movies with fewer than RARE_RATINGS (5) ratings in training (every
 *   non-positive rating and every positive the models fit on; held-out targets are not in training): the
 *   one-rating movies the issue found at the top of ALS's cosine lists.
 */
import { CancelledError } from '../core/errors.js';
import type { ProgressListener } from '../core/progress.js';
import type { ModelKind, TopK } from '../core/types.js';
import type { DatasetTables } from '../data/schema.js';
import { trainingMatrix } from '../dataset/confidence.js';
import {
  concatInteractions,
  countPerItem,
  interactionsFromRatings,
  keepRatingsAtLeast,
} from '../dataset/interactions.js';
import {
  ML1M_INTERACTIONS_PROTOCOL,
  splitInteractions,
  type SplitReport,
  type SplitSpec,
} from '../dataset/splits.js';
import type { Interactions } from '../dataset/types.js';
import { CoRatingIndex } from '../models/co-rating.js';
import { getModelFactory } from '../models/registry.js';
import type { Recommender, TrainingMatrix } from '../models/types.js';
import { DEFAULT_POSITIVE_THRESHOLD } from './evaluator.js';
import { catalogCoverage, hitRateAtK, ndcgAtK } from './metrics.js';

/** Movies with fewer training ratings than this count as rare in `rareShare`. */
export const RARE_RATINGS = 5;

/**
 * Per user the last positive by time to test, the one before to validation. Users with fewer than 3 positives
 * stay whole in train: with 2, nothing would be left in train and the split drops held-out pairs of users
 * unknown to train, so they would be lost to the models as well.
 */
export const SIMILAR_TEMPORAL_SPLIT = {
  strategy: 'temporal-leave-n',
  test: 1,
  validation: 1,
  minHistory: 3,
  ties: 'row-order',
} as const satisfies SplitSpec;

/** The same shape for data without timestamps: two positives per user drawn with a seeded shuffle. */
export const SIMILAR_RANDOM_SPLIT = {
  strategy: 'random-leave-n',
  test: 1,
  validation: 1,
  minHistory: 3,
  seed: ML1M_INTERACTIONS_PROTOCOL.seed,
} as const satisfies SplitSpec;

/** The item-to-item protocol's split, prepared once and shared by every model evaluated on it. */
export interface PreparedSimilar {
  /** 'temporal' (previous positive -> last positive) or 'random' (two random positives, seeded). */
  order: 'temporal' | 'random';
  split: SplitReport;
  /** What models fit on: binary positives of train + validation. */
  train: TrainingMatrix;

  /** Per evaluated user (ascending dense user), the query movie (dense). */
  queries: Int32Array;
  /** Per evaluated user, the target movie (dense). */
  targets: Int32Array;
  /** Ratings per movie in training: every non-positive rating and the positives models fit on. */
  itemRatings: Int32Array;
}

export interface PrepareSimilarOptions {
  /** Ratings >= this are positives (default 4); implicit-only data has every interaction positive. */
  positiveThreshold?: number;
  /** Seed of the random order for data without timestamps (default 42). */
  seed?: number;
}

/**
 * Splits a dataset's positives for the item-to-item protocol.
 * @example const prepared = prepareSimilar(interactionsFromRatings(tables.ratings));
 */
export function prepareSimilar(all: Interactions, options: PrepareSimilarOptions = {}): PreparedSimilar {
  const positives = all.rating
    ? keepRatingsAtLeast(all, options.positiveThreshold ?? DEFAULT_POSITIVE_THRESHOLD)
    : all;
  const temporal = all.timestamp !== null;
  const spec: SplitSpec = temporal
    ? SIMILAR_TEMPORAL_SPLIT
    : { ...SIMILAR_RANDOM_SPLIT, seed: options.seed ?? SIMILAR_RANDOM_SPLIT.seed };
  const split = splitInteractions(positives, spec);
  const nUsers = all.users.size;
  const query = new Int32Array(nUsers).fill(-1);
  const target = new Int32Array(nUsers).fill(-1);
  for (let r = 0; r < split.validation.user.length; r++) {
    query[split.validation.user[r] as number] = split.validation.item[r] as number;
  }
  for (let r = 0; r < split.test.user.length; r++) {
    target[split.test.user[r] as number] = split.test.item[r] as number;
  }
  const queries: number[] = [];
  const targets: number[] = [];
  for (let u = 0; u < nUsers; u++) {
    if ((query[u] as number) >= 0 && (target[u] as number) >= 0) {
      queries.push(query[u] as number);
      targets.push(target[u] as number);
    }
  }
  const fitOn = concatInteractions(split.train, split.validation);
  // Ratings in training: every non-positive rating plus the positives the models fit on.
  const itemRatings = countPerItem(all);
  const positiveCounts = countPerItem(positives);
  const fitCounts = countPerItem(fitOn);
  for (let i = 0; i < itemRatings.length; i++) {
    itemRatings[i]! += (fitCounts[i] as number) - (positiveCounts[i] as number);
  }
  return {
    order: temporal ? 'temporal' : 'random',
    split: split.report,
    train: trainingMatrix(fitOn, { weighting: 'binary' }),
    queries: Int32Array.from(queries),
    targets: Int32Array.from(targets),
    itemRatings,
  };
}

/** Anything that answers similar items (a model, or a serving combination of models). */
export type SimilarSource = Pick<Recommender, 'similarItems'>;

export interface SimilarResult {
  k: number;
  /** Share of users whose target is among the k answers for their query. */
  hitrate: number;
  ndcg: number;
  /** Share of all answers that are movies with fewer than RARE_RATINGS ratings in training. */
  rareShare: number;
  /** Distinct answered movies / movies in the dataset. */
  coverage: number;
  /** Users evaluated (one query each). */
  queries: number;
  seconds: number;
}

export interface EvaluateSimilarOptions {
  k: number;
  /** Queries per similarItems call (default 512). */
  batchSize?: number;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  phase?: string;
}

/**
 * Asks `source` for the k movies most similar to each user's query and scores them against the target.
 * @example const result = await evaluateSimilar(model, prepared, { k: 10 }); result.hitrate;
 */
export async function evaluateSimilar(
  source: SimilarSource,
  prepared: PreparedSimilar,
  options: EvaluateSimilarOptions,
): Promise<SimilarResult> {
  const started = performance.now();
  const { k } = options;
  const batchSize = options.batchSize ?? 512;
  const phase = options.phase ?? 'evaluate similar';
  const total = prepared.queries.length;
  const lists: Int32Array[] = [];
  let hits = 0;
  let ndcg = 0;
  let answers = 0;
  let rare = 0;
  for (let start = 0; start < total; start += batchSize) {
    if (options.signal?.aborted) throw new CancelledError(phase);
    const batch = prepared.queries.subarray(start, Math.min(total, start + batchSize));
    const top: TopK = await source.similarItems(Int32Array.from(batch), k);
    for (let q = 0; q < batch.length; q++) {
      const ranked = top.ids.subarray(q * top.k, q * top.k + Math.min(k, top.k));
      const relevant = new Set([prepared.targets[start + q] as number]);
      hits += hitRateAtK(ranked, relevant, k);
      ndcg += ndcgAtK(ranked, relevant, k);
      for (const item of ranked) {
        if (item < 0) continue;
        answers++;
        if ((prepared.itemRatings[item] as number) < RARE_RATINGS) rare++;
      }
      lists.push(ranked);
    }
    options.onProgress?.({ phase, done: start + batch.length, total, unit: 'users' });
  }
  return {
    k,
    hitrate: total > 0 ? hits / total : 0,
    ndcg: total > 0 ? ndcg / total : 0,
    rareShare: answers > 0 ? rare / answers : 0,
    coverage: catalogCoverage(lists, prepared.train.items.size, k),
    queries: total,
    seconds: (performance.now() - started) / 1000,
  };
}

export interface SimilarExperimentOptions {
  tables: DatasetTables;
  dataset?: string;
  models: readonly ModelKind[];
  /** Per model, raw hyperparameters (validated by the model's factory). */
  hyperparameters?: Partial<Record<ModelKind, Record<string, unknown>>>;
  k?: number;
  /** Seed of the random order for data without timestamps (default 42). */
  seed?: number;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

/** One model's figures, keyed as in `recsys evaluate --task similar --json`. */
export type SimilarModelReport = Record<string, number> & {
  fit_seconds: number;
  evaluate_seconds: number;
  queries: number;
};

export interface SimilarExperimentReport {
  task: 'similar';
  dataset: string;
  order: 'temporal' | 'random';
  k: number;
  split: SplitReport & { queries: number };
  models: Partial<Record<ModelKind, SimilarModelReport>>;
  /**
   * What the API and `recsys similar` answer with by default (RECSYS_SIMILAR=co-rating, whatever the model):
   * support-aware co-rating cosine over the training positives (src/serving/similar-source.ts).
   */
  served: SimilarModelReport;
  hyperparameters: Partial<Record<ModelKind, Record<string, number | string | boolean>>>;
}

/**
 * Flattens a result into report keys: `hitrate@10`, `ndcg@10`, `rareShare@10`, `coverage@10`, timings.
 * @example similarModelReport(result, 1.2)['hitrate@10'];
 */
export function similarModelReport(result: SimilarResult, fitSeconds: number): SimilarModelReport {
  const k = result.k;
  return {
    [`hitrate@${k}`]: result.hitrate,
    [`ndcg@${k}`]: result.ndcg,
    [`rareShare@${k}`]: result.rareShare,
    [`coverage@${k}`]: result.coverage,
    fit_seconds: fitSeconds,
    evaluate_seconds: result.seconds,
    queries: result.queries,
  } as SimilarModelReport;
}

/**
 * Splits the dataset under the item-to-item protocol, fits each model and scores its similar items.
 * @example const report = await runSimilarExperiment({ tables, dataset: 'ml-100k', models: ['als', 'itemknn'] });
 *          report.models.itemknn?.['hitrate@10'];
 */
export async function runSimilarExperiment(
  options: SimilarExperimentOptions,
): Promise<SimilarExperimentReport> {
  const k = options.k ?? 10;
  const prepared = prepareSimilar(
    interactionsFromRatings(options.tables.ratings),
    options.seed === undefined ? {} : { seed: options.seed },
  );
  const servedStarted = performance.now();
  const index = new CoRatingIndex(prepared.train.userItems);
  const served = await evaluateSimilar({ similarItems: async (i, n) => index.similarItems(i, n) }, prepared, {
    k,
    onProgress: options.onProgress,
    signal: options.signal,
    phase: 'similar served',
  });
  const report: SimilarExperimentReport = {
    task: 'similar',
    dataset: options.dataset ?? 'dataset',
    order: prepared.order,
    k,
    split: { ...prepared.split, queries: prepared.queries.length },
    models: {},
    // The index is built from the matrix on the first query: its build time counts as evaluation.
    served: similarModelReport(served, 0),
    hyperparameters: {},
  };
  report.served.evaluate_seconds = (performance.now() - servedStarted) / 1000;
  for (const kind of options.models) {
    const factory = getModelFactory(kind);
    const model = factory.create(factory.parseHyperparameters(options.hyperparameters?.[kind] ?? {}));
    try {
      const started = performance.now();
      await model.fit(prepared.train, { onProgress: options.onProgress, signal: options.signal });
      const fitSeconds = (performance.now() - started) / 1000;
      const result = await evaluateSimilar(model, prepared, {
        k,
        onProgress: options.onProgress,
        signal: options.signal,
        phase: `similar ${kind}`,
      });
      report.models[kind] = similarModelReport(result, fitSeconds);
      report.hyperparameters[kind] = { ...model.hyperparameters };
    } finally {
      model.dispose();
    }
  }
  return report;
}
