/**
 * The popularity-bias protocol behind `recsys evaluate --task diversity` (issue 15.3): what `diversify`
 * (src/models/diversity.ts) costs in accuracy and buys in coverage, at several diversity levels.
 *
 * - The seed protocol's split and evaluation (evaluator.ts): fit on train positives, every train item left
 *   out, users with a held-out positive evaluated, users without a train positive ranked by popularity.
 * - Per user the model's top DIVERSITY_CANDIDATES (100, serving's MAX_K) is computed once per model; each
 *   method and level re-ranks it with `diversify` (popularity = train positives, genres from the movies table,
 *   history = the user's train positives) and the first k are scored.
 * - Figures: NDCG@k and Recall@k (metrics.ts), catalogue coverage@k, the long-tail share (recommended slots
 *   holding a tail item: outside the head, the most popular items that together hold LONG_TAIL_HEAD_SHARE =
 *   80% of the train positives, ties by dense index), the mean popularity rank of recommended items (1 = the
 *   movie with most train positives) and their mean train positives.
 */
import { CancelledError } from '../core/errors.js';
import type { ProgressListener } from '../core/progress.js';
import type { ModelKind } from '../core/types.js';
import type { DatasetTables } from '../data/schema.js';
import type { IdEncoder } from '../dataset/types.js';
import {
  DIVERSITY_METHODS,
  diversify,
  type DiversityContext,
  type DiversityMethod,
} from '../models/diversity.js';
import type { Recommender } from '../models/types.js';
import { prepareEvaluation, rowsOf, type PreparedEvaluation } from './evaluator.js';
import { fitFallback, fitModel } from './experiment.js';
import { catalogCoverage, meanPopularity, ndcgAtK, recallAtK } from './metrics.js';
import { splitForProtocol, type ProtocolName } from './protocol.js';

/** Candidates re-ranked per user: serving's MAX_K (src/serving/user-rankings.ts). */
export const DIVERSITY_CANDIDATES = 100;
/** The head holds this share of the train positives; every other item is long tail. */
export const LONG_TAIL_HEAD_SHARE = 0.8;
/** The levels of `--diversity` when none are given. */
export const DEFAULT_DIVERSITY_LEVELS = [0, 0.25, 0.5, 1] as const;

/** Each item's popularity rank and whether it is long tail. */
export interface PopularityProfile {
  /** 1-based rank by train positives (1 = most popular; ties by dense index), per dense item. */
  rank: Float64Array;
  /** 1 for a long-tail item, 0 for a head item, per dense item. */
  tail: Float64Array;
  /** Items in the head. */
  headItems: number;
}

/**
 * Ranks items by popularity and splits head from long tail: the head is the shortest prefix of the ranking
 * that holds at least `headShare` of all positives.
 * @example popularityProfile(Float64Array.from([5, 1, 4])); // rank [1, 3, 2], tail [0, 1, 0]
 */
export function popularityProfile(
  popularity: ArrayLike<number>,
  headShare: number = LONG_TAIL_HEAD_SHARE,
): PopularityProfile {
  const n = popularity.length;
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => (popularity[b] as number) - (popularity[a] as number) || a - b,
  );
  let total = 0;
  for (let i = 0; i < n; i++) total += popularity[i] as number;
  const rank = new Float64Array(n);
  const tail = new Float64Array(n).fill(1);
  let held = 0;
  let headItems = 0;
  order.forEach((item, r) => {
    rank[item] = r + 1;
    if (held < headShare * total) {
      tail[item] = 0;
      headItems++;
      held += popularity[item] as number;
    }
  });
  return { rank, tail, headItems };
}

/**
 * The context `diversify` gets in the evaluator: popularity = train positives, genres from the movies table.
 * @example const context = evaluationContext(prepared.itemPopularity, model.items, tables.movies);
 */
export function evaluationContext(
  popularity: ArrayLike<number>,
  items: IdEncoder,
  movies: DatasetTables['movies'],
): DiversityContext {
  const genres = new Map(movies.map((m) => [m.movieId, m.genres]));
  return {
    popularity: (id) => {
      const dense = items.toDense(id);
      return dense >= 0 ? (popularity[dense] ?? 0) : 0;
    },
    genres: (id) => genres.get(id) ?? [],
  };
}

/**
 * Each evaluated user's top `depth` (dense ids, train items excluded), from the model or, for users without
 * a train positive, the fallback.
 * @example const lists = await candidateLists(model, prepared, fallback, 100);
 */
export async function candidateLists(
  model: Recommender,
  prepared: PreparedEvaluation,
  fallback: Recommender,
  depth: number,
  options: { batchSize?: number; onProgress?: ProgressListener; signal?: AbortSignal } = {},
): Promise<Int32Array[]> {
  const batchSize = options.batchSize ?? 1024;
  const users = Array.from(prepared.users);
  const out: Int32Array[] = [];
  for (let start = 0; start < users.length; start += batchSize) {
    if (options.signal?.aborted) throw new CancelledError('diversity candidates');
    const batch = Int32Array.from(users.slice(start, start + batchSize));
    const exclude = rowsOf(prepared.seen, batch);
    const cold = Array.from(batch, (u) => prepared.noTrainPositive[u] === 1);
    const [warmTop, coldTop] = await Promise.all([
      model.recommend(batch, depth, { excludeSeen: true, exclude }),
      cold.some(Boolean) ? fallback.recommend(batch, depth, { excludeSeen: true, exclude }) : null,
    ]);
    batch.forEach((_, q) => {
      const top = cold[q] && coldTop ? coldTop : warmTop;
      const row = top.ids.subarray(q * top.k, (q + 1) * top.k);
      out.push(row.filter((id) => id >= 0));
    });
    options.onProgress?.({
      phase: `candidates ${model.kind}`,
      done: start + batch.length,
      total: users.length,
    });
  }
  return out;
}

/** One model, method and level's figures at k. */
export interface DiversityRow {
  model: ModelKind;
  method: DiversityMethod;
  diversity: number;
  ndcg: number;
  recall: number;
  coverage: number;
  longTailShare: number;
  meanPopularityRank: number;
  meanPopularity: number;
}

/**
 * Re-ranks every user's candidates with one method and level and scores the first k.
 * @example const row = scoreDiversity(lists, prepared, context, profile, { model: 'ease', method: 'popularity', diversity: 0.5, k: 10 });
 */
export function scoreDiversity(
  candidates: readonly Int32Array[],
  prepared: PreparedEvaluation,
  items: IdEncoder,
  context: DiversityContext,
  profile: PopularityProfile,
  options: { model: ModelKind; method: DiversityMethod; diversity: number; k: number },
): DiversityRow {
  const { k } = options;
  const { relevant, train } = prepared;
  const lists: Int32Array[] = [];
  let ndcg = 0;
  let recall = 0;
  prepared.users.forEach((u, q) => {
    const ranked = Array.from(candidates[q] as Int32Array, (d) => items.toRaw(d));
    const history = Array.from(
      train.userItems.indices.subarray(train.userItems.indptr[u], train.userItems.indptr[u + 1]),
      (d) => items.toRaw(d),
    );
    const chosen = diversify({
      ranked,
      k,
      diversity: options.diversity,
      context,
      history,
      method: options.method,
    });
    const list = Int32Array.from(chosen, (id) => items.toDense(id));
    const relevantSet = new Set(relevant.indices.subarray(relevant.indptr[u], relevant.indptr[u + 1]));
    ndcg += ndcgAtK(list, relevantSet, k);
    recall += recallAtK(list, relevantSet, k);
    lists.push(list);
  });
  const n = Math.max(prepared.users.length, 1);
  return {
    model: options.model,
    method: options.method,
    diversity: options.diversity,
    ndcg: ndcg / n,
    recall: recall / n,
    coverage: catalogCoverage(lists, train.items.size, k),
    longTailShare: meanPopularity(lists, profile.tail, k),
    meanPopularityRank: meanPopularity(lists, profile.rank, k),
    meanPopularity: meanPopularity(lists, prepared.itemPopularity, k),
  };
}

export interface DiversityExperimentOptions {
  tables: DatasetTables;
  dataset?: string;
  protocol?: ProtocolName | 'auto';
  models: readonly ModelKind[];
  hyperparameters?: Partial<Record<ModelKind, Record<string, unknown>>>;
  /** Default DEFAULT_DIVERSITY_LEVELS. */
  levels?: readonly number[];
  /** Default every method of DIVERSITY_METHODS. */
  methods?: readonly DiversityMethod[];
  k?: number;
  seed?: number;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

export interface DiversityExperimentReport {
  dataset: string;
  protocol: ProtocolName;
  k: number;
  candidates: number;
  usersEvaluated: number;
  items: number;
  /** Items in the head (the rest is long tail). */
  headItems: number;
  headShare: number;
  fitSeconds: Partial<Record<ModelKind, number>>;
  rows: DiversityRow[];
}

/**
 * Splits under the protocol, fits each model once and scores every method at every level.
 * @example const report = await runDiversityExperiment({ tables, models: ['ease'], levels: [0, 0.5] });
 */
export async function runDiversityExperiment(
  options: DiversityExperimentOptions,
): Promise<DiversityExperimentReport> {
  const k = options.k ?? 10;
  const levels = options.levels ?? DEFAULT_DIVERSITY_LEVELS;
  const methods = options.methods ?? DIVERSITY_METHODS;
  for (const level of levels) {
    if (!(level >= 0 && level <= 1)) throw new RangeError(`diversity levels must be in 0..1, got ${level}`);
  }
  const { protocol, split } = splitForProtocol(options.tables, options.protocol ?? 'auto', options.seed);
  const prepared = prepareEvaluation(split.train, split.test);
  const validation = prepareEvaluation(split.train, split.validation);
  const profile = popularityProfile(prepared.itemPopularity);
  const fallback = await fitFallback(prepared);
  const report: DiversityExperimentReport = {
    dataset: options.dataset ?? 'dataset',
    protocol,
    k,
    candidates: DIVERSITY_CANDIDATES,
    usersEvaluated: prepared.users.length,
    items: prepared.train.items.size,
    headItems: profile.headItems,
    headShare: LONG_TAIL_HEAD_SHARE,
    fitSeconds: {},
    rows: [],
  };
  try {
    for (const kind of options.models) {
      // Fitted as `recsys evaluate` and the cold-start task fit: early stopping on the validation slice.
      const { model, fitSeconds } = await fitModel(
        kind,
        options.hyperparameters?.[kind] ?? {},
        prepared,
        fallback,
        { onProgress: options.onProgress, signal: options.signal, validation },
      );
      try {
        report.fitSeconds[kind] = fitSeconds;
        const lists = await candidateLists(model, prepared, fallback, DIVERSITY_CANDIDATES, options);
        const context = evaluationContext(prepared.itemPopularity, model.items, options.tables.movies);
        for (const method of methods) {
          for (const diversity of levels) {
            report.rows.push(
              scoreDiversity(lists, prepared, model.items, context, profile, {
                model: kind,
                method,
                diversity,
                k,
              }),
            );
          }
        }
      } finally {
        model.dispose();
      }
    }
  } finally {
    fallback.dispose();
  }
  return report;
}
