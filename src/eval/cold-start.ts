/**
 * The cold-start protocol behind `recsys evaluate --task cold-start` (issue 15.1): how good are the
 * recommendations for someone who names only a few movies they like (the cold-start route's picks)?
 *
 * - The seed protocol's split (protocol.ts; temporal leave-last-5 with timestamps, random leave-5 seed 42
 *   without) and its evaluation conventions (evaluator.ts): models fit once on the train positives.
 * - Users: those with a held-out positive and at least max(picks) = 5 train positives, so every pick count is
 *   scored on the same users and no one needs the popularity fallback.
 * - Picks: per user, a seeded shuffle of their train positives (one Rng(seed) over users in ascending order);
 *   the first 3 are the 3 picks, the first 5 the 5 picks (nested). The relevant items are the user's
 *   held-out positives, as in the full-history evaluation, so the picks are never among them. (Picks drawn
 *   from the held-out positives would leave nothing to score at 5 picks with leave-5.)
 * - Ranking with picks: `recommendForHistories` on the picks alone (value 1 each: the binary training
 *   policy), which is what the cold-start route serves for picks without genres; one call per pick count, as
 *   deep as k plus the user's train items, read under two exclusion rules:
 *   `protocol` leaves out every train item of the user, as the full-history figures do, so the two differ only
 *   in the history the model sees; `served` leaves out the picks alone (what the route can do: it knows nothing
 *   else of the visitor), so it also counts the slots spent on movies the user had already rated.
 * - Full history: `recommend` for the same users, every train item left out (the seed protocol).
 * - The users' own train rows are part of the fit (one fit serves every row); for the item-item models (EASE,
 *   item-kNN) a user's share of the item statistics is small, for ALS and the neural model their own factors
 *   are not used by the picks' fold-in.
 */
import { CancelledError } from '../core/errors.js';
import { createRng, shuffleInPlace } from '../core/rng.js';
import type { ProgressListener } from '../core/progress.js';
import { emptyTopK, type ModelKind, type TopK } from '../core/types.js';
import type { DatasetTables } from '../data/schema.js';
import type { CsrMatrix } from '../dataset/types.js';
import type { Recommender, UserHistory } from '../models/types.js';
import { prepareEvaluation, rowsOf, type PreparedEvaluation } from './evaluator.js';
import { fitFallback, fitModel } from './experiment.js';
import { ndcgAtK, recallAtK } from './metrics.js';
import { splitForProtocol, type ProtocolName } from './protocol.js';

/** The pick counts the issue asks for. */
export const COLD_START_PICKS = [3, 5] as const;

/** NDCG@k and Recall@k averaged over the cold-start users. */
export interface ColdStartFigures {
  ndcg: number;
  recall: number;
}

export interface ColdStartModelReport {
  /** Every train item as history, every train item excluded (the seed protocol). */
  full: ColdStartFigures;
  /** Per pick count: the picks as history, every train item excluded. */
  protocol: Record<string, ColdStartFigures>;
  /** Per pick count: the picks as history, only the picks excluded (as the route serves). */
  served: Record<string, ColdStartFigures>;
  fit_seconds: number;
  evaluate_seconds: number;
}

export interface ColdStartReport {
  dataset: string;
  protocol: ProtocolName;
  k: number;
  seed: number;
  picks: number[];
  /** Users scored (held-out positive and >= max(picks) train positives). */
  users: number;
  /** Users with a held-out positive (the full evaluation's users). */
  usersWithTestPositive: number;
  models: Partial<Record<ModelKind, ColdStartModelReport>>;
}

/** The cold-start users and their picks, prepared once and shared by every model. */
export interface PreparedColdStart {
  prepared: PreparedEvaluation;
  users: Int32Array;
  /** Per pick count, per user: the picks (dense, ascending). */
  picks: Map<number, UserHistory[]>;
}

/**
 * Chooses the users and their picks (seeded, nested: the 3 picks are the first 3 of the 5).
 * @example const cold = prepareColdStart(prepared, [3, 5], 42);
 */
export function prepareColdStart(
  prepared: PreparedEvaluation,
  picks: readonly number[],
  seed: number,
): PreparedColdStart {
  const most = Math.max(...picks);
  const { indptr, indices } = prepared.train.userItems;
  const rng = createRng(seed);
  const users: number[] = [];
  const chosen = new Map<number, UserHistory[]>(picks.map((p) => [p, []]));
  for (const u of prepared.users) {
    const start = indptr[u] as number;
    const end = indptr[u + 1] as number;
    if (end - start < most) continue;
    users.push(u);
    const shuffled = shuffleInPlace(indices.slice(start, end), rng);
    for (const p of picks) {
      const items = shuffled.slice(0, p).sort();
      chosen.get(p)!.push({ items, values: new Float32Array(p).fill(1) });
    }
  }
  return { prepared, users: Int32Array.from(users), picks: chosen };
}

/**
 * Scores one fitted model: full history, then each pick count under both exclusion rules.
 * @example const figures = await evaluateColdStart(model, cold, { k: 10 });
 */
export async function evaluateColdStart(
  model: Recommender,
  cold: PreparedColdStart,
  options: { k: number; batchSize?: number; onProgress?: ProgressListener; signal?: AbortSignal },
): Promise<Omit<ColdStartModelReport, 'fit_seconds'>> {
  const started = performance.now();
  const { k } = options;
  const batchSize = options.batchSize ?? 1024;
  const { prepared, users } = cold;
  const sum = () => ({ ndcg: 0, recall: 0 });
  const full = sum();
  const protocol = new Map<number, ColdStartFigures>();
  const served = new Map<number, ColdStartFigures>();
  for (const p of cold.picks.keys()) {
    protocol.set(p, sum());
    served.set(p, sum());
  }
  for (let start = 0; start < users.length; start += batchSize) {
    if (options.signal?.aborted) throw new CancelledError('cold start');
    const batch = users.subarray(start, Math.min(start + batchSize, users.length));
    const exclude = rowsOf(prepared.seen, batch);
    add(full, await model.recommend(batch, k, { excludeSeen: true, exclude }), batch, prepared.relevant, k);
    // One ranking per pick count, deep enough to hold k movies after the user's train items are dropped:
    // its head is what the route serves (picks excluded), its filtered head the protocol's figure.
    let mostSeen = 0;
    for (let q = 0; q < batch.length; q++) {
      mostSeen = Math.max(mostSeen, (exclude.indptr[q + 1] as number) - (exclude.indptr[q] as number));
    }
    const depth = Math.min(prepared.train.items.size, k + mostSeen);
    for (const [p, all] of cold.picks) {
      const histories = all.slice(start, start + batch.length);
      const top = await model.recommendForHistories(histories, depth);
      add(served.get(p)!, top, batch, prepared.relevant, k);
      add(protocol.get(p)!, withoutSeen(top, exclude, k), batch, prepared.relevant, k);
    }
    options.onProgress?.({
      phase: `cold start ${model.kind}`,
      done: start + batch.length,
      total: users.length,
    });
  }
  const n = Math.max(users.length, 1);
  const mean = (s: ColdStartFigures): ColdStartFigures => ({ ndcg: s.ndcg / n, recall: s.recall / n });
  const byPicks = (m: Map<number, ColdStartFigures>) =>
    Object.fromEntries([...m].map(([p, s]) => [String(p), mean(s)]));
  return {
    full: mean(full),
    protocol: byPicks(protocol),
    served: byPicks(served),
    evaluate_seconds: (performance.now() - started) / 1000,
  };
}

/** Each row's first k ids that are not in the same row of `seen` (padding -1 past the end). */
function withoutSeen(top: TopK, seen: CsrMatrix, k: number): TopK {
  const rows = top.ids.length / top.k;
  const out = emptyTopK(rows, k);
  for (let q = 0; q < rows; q++) {
    const skip = new Set(seen.indices.subarray(seen.indptr[q], seen.indptr[q + 1]));
    let j = 0;
    for (let i = 0; i < top.k && j < k; i++) {
      const id = top.ids[q * top.k + i] as number;
      if (id < 0 || skip.has(id)) continue;
      out.ids[q * k + j] = id;
      out.scores[q * k + j] = top.scores[q * top.k + i] as number;
      j++;
    }
  }
  return out;
}

function add(into: ColdStartFigures, top: TopK, batch: Int32Array, relevant: CsrMatrix, k: number): void {
  batch.forEach((u, q) => {
    const ranked = top.ids.subarray(q * top.k, (q + 1) * top.k);
    const relevantSet = new Set(relevant.indices.subarray(relevant.indptr[u], relevant.indptr[u + 1]));
    into.ndcg += ndcgAtK(ranked, relevantSet, k);
    into.recall += recallAtK(ranked, relevantSet, k);
  });
}

export interface ColdStartExperimentOptions {
  tables: DatasetTables;
  dataset?: string;
  protocol?: ProtocolName | 'auto';
  models: readonly ModelKind[];
  hyperparameters?: Partial<Record<ModelKind, Record<string, unknown>>>;
  /** Default COLD_START_PICKS. */
  picks?: readonly number[];
  k?: number;
  /** Seed of the random protocol's split and of the picks (default 42). */
  seed?: number;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

/**
 * Splits under the protocol, chooses the picks, fits each model once and scores it.
 * @example const report = await runColdStartExperiment({ tables, dataset: 'ml-1m', models: ['ease', 'als', 'popularity'] });
 */
export async function runColdStartExperiment(options: ColdStartExperimentOptions): Promise<ColdStartReport> {
  const k = options.k ?? 10;
  const seed = options.seed ?? 42;
  const picks = [...(options.picks ?? COLD_START_PICKS)];
  if (picks.length === 0 || picks.some((p) => !Number.isInteger(p) || p < 1)) {
    throw new RangeError(`picks must be positive integers, got ${picks.join(',')}`);
  }
  const { protocol, split } = splitForProtocol(options.tables, options.protocol ?? 'auto', seed);
  const prepared = prepareEvaluation(split.train, split.test);
  const validation = prepareEvaluation(split.train, split.validation);
  const cold = prepareColdStart(prepared, picks, seed);
  const report: ColdStartReport = {
    dataset: options.dataset ?? 'dataset',
    protocol,
    k,
    seed,
    picks,
    users: cold.users.length,
    usersWithTestPositive: prepared.users.length,
    models: {},
  };
  const fallback = await fitFallback(prepared);
  try {
    for (const kind of options.models) {
      // Early stopping as in `recsys evaluate`: NDCG@100 on the validation slice per epoch.
      const { model, fitSeconds } = await fitModel(
        kind,
        options.hyperparameters?.[kind] ?? {},
        prepared,
        fallback,
        { onProgress: options.onProgress, signal: options.signal, validation },
      );
      try {
        const figures = await evaluateColdStart(model, cold, {
          k,
          onProgress: options.onProgress,
          signal: options.signal,
        });
        report.models[kind] = { ...figures, fit_seconds: fitSeconds };
      } finally {
        model.dispose();
      }
    }
  } finally {
    fallback.dispose();
  }
  return report;
}
