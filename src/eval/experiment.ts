/**
 * One offline experiment: split a dataset under a protocol, fit each model on train, evaluate it on the test
 * slice, and report the figures under the key names of `recsys evaluate --json` (`ndcg@10`, `fit_seconds`).
 */
import type { ProgressListener } from '../core/progress.js';
import type { ModelKind } from '../core/types.js';
import type { DatasetTables } from '../data/schema.js';
import type { SplitReport } from '../dataset/splits.js';
import { getModelFactory } from '../models/registry.js';
import type { EpochReport, Recommender } from '../models/types.js';
import {
  evaluateRecommender,
  prepareEvaluation,
  type EvaluationResult,
  type PreparedEvaluation,
  type SeenPolicy,
} from './evaluator.js';
import { RANKING_METRIC_NAMES } from './metrics.js';
import { splitForProtocol, type ProtocolName } from './protocol.js';

export interface ExperimentOptions {
  tables: DatasetTables;
  /** Dataset name for the report. */
  dataset?: string;
  protocol?: ProtocolName | 'auto';
  models: readonly ModelKind[];
  /** Per model, raw hyperparameters (validated by the model's factory). */
  hyperparameters?: Partial<Record<ModelKind, Record<string, unknown>>>;
  /** Cut-off of every metric (default 10). */
  k?: number;
  /** Seed of the random protocol's split (default 42). */
  seed?: number;
  /** Train items left out of recommendations (default 'all', the seed protocol). */
  seen?: SeenPolicy;
  onProgress?: ProgressListener;
  /** Each model's per-iteration reports of its fit (the TUI's chart). */
  onEpoch?: (report: EpochReport) => void;
  signal?: AbortSignal;
}

/** One model's figures, keyed as in `recsys evaluate --json`; `@k` follows the experiment's k. */
export type ModelReport = Record<string, number> & {
  fit_seconds: number;
  evaluate_seconds: number;
  users_evaluated: number;
  fallback_users: number;
};

export interface ExperimentReport {
  dataset: string;
  protocol: ProtocolName;
  k: number;
  /** Train items left out of recommendations. */
  seen: SeenPolicy;
  split: SplitReport & { positives: { train: number; test: number }; users_evaluated: number };
  models: Partial<Record<ModelKind, ModelReport>>;
  /** Hyperparameters each model ran with (after defaults). */
  hyperparameters: Partial<Record<ModelKind, Record<string, number | string | boolean>>>;
}

/**
 * Flattens an evaluation into report keys: `precision@10` ... `hitrate@10`, `coverage@10`,
 * `meanPopularity@10`, `novelty@10`, plus timings and user counts.
 * @example modelReport(result, fitSeconds)['ndcg@10'];
 */
export function modelReport(result: EvaluationResult, fitSeconds: number): ModelReport {
  const k = result.k;
  const report: Record<string, number> = {};
  for (const name of RANKING_METRIC_NAMES) report[`${name}@${k}`] = result.metrics[name];
  report[`coverage@${k}`] = result.coverage;
  report[`meanPopularity@${k}`] = result.meanPopularity;
  report[`novelty@${k}`] = result.novelty;
  return {
    ...report,
    fit_seconds: fitSeconds,
    evaluate_seconds: result.seconds,
    users_evaluated: result.usersEvaluated,
    fallback_users: result.fallbackUsers,
  };
}

/**
 * Fits a popularity model on the prepared training matrix: the fallback for users without a train positive.
 * @example const fallback = await fitFallback(prepared); ...; fallback.dispose();
 */
export async function fitFallback(prepared: PreparedEvaluation): Promise<Recommender> {
  const fallback = getModelFactory('popularity').create();
  await fallback.fit(prepared.train);
  return fallback;
}

/** Cut-off of the early-stopping figure: one validation rating per user makes @10 noisy (see tune.ts). */
const VALIDATION_K = 100;

/** What `fitModel` needs besides the model and the data. */
export interface FitModelOptions {
  onProgress?: ProgressListener;
  onEpoch?: (report: EpochReport) => void;
  signal?: AbortSignal;
  /**
   * A slice to stop early on (same train): models that train by epochs score NDCG@100 on it after each one
   * and keep the best epoch (the tuner chooses on the same figure).
   */
  validation?: PreparedEvaluation;
}

/**
 * Creates one model from raw hyperparameters and fits it on `prepared.train`, stopping early on
 * `options.validation` where the model trains by epochs: the one way every experiment (evaluate, cold start,
 * diversity) fits, so their figures compare. The caller disposes the model.
 * @example const { model, fitSeconds } = await fitModel('als', {}, prepared, fallback, { validation });
 */
export async function fitModel(
  kind: ModelKind,
  hyperparameters: Record<string, unknown>,
  prepared: PreparedEvaluation,
  fallback: Recommender,
  options: FitModelOptions = {},
): Promise<{ model: Recommender; fitSeconds: number; bestEpoch?: number }> {
  const factory = getModelFactory(kind);
  const model = factory.create(factory.parseHyperparameters(hyperparameters));
  try {
    const started = performance.now();
    const validation = options.validation;
    const fit = await model.fit(prepared.train, {
      onProgress: options.onProgress,
      signal: options.signal,
      ...(options.onEpoch ? { onEpoch: options.onEpoch } : {}),
      ...(validation && validation.users.length > 0
        ? {
            validate: async () =>
              (await evaluateRecommender(model, validation, { k: VALIDATION_K, fallback, phase: 'validate' }))
                .metrics.ndcg,
          }
        : {}),
    });
    const fitSeconds = (performance.now() - started) / 1000;
    return { model, fitSeconds, ...(fit.bestEpoch !== undefined ? { bestEpoch: fit.bestEpoch } : {}) };
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/**
 * Fits one model on `prepared.train` and evaluates it (the fallback ranks users without a train positive).
 * @example const { result, fitSeconds } = await fitAndEvaluate('itemknn', {}, prepared, fallback, { k: 10 });
 */
export async function fitAndEvaluate(
  kind: ModelKind,
  hyperparameters: Record<string, unknown>,
  prepared: PreparedEvaluation,
  fallback: Recommender,
  options: FitModelOptions & { k: number },
): Promise<{
  result: EvaluationResult;
  fitSeconds: number;
  /** The epoch kept, for models that stop early. */
  bestEpoch?: number;
  hyperparameters: Record<string, number | string | boolean>;
}> {
  const { model, fitSeconds, bestEpoch } = await fitModel(kind, hyperparameters, prepared, fallback, options);
  try {
    const result = await evaluateRecommender(model, prepared, { ...options, fallback });
    return {
      result,
      fitSeconds,
      hyperparameters: { ...model.hyperparameters },
      ...(bestEpoch !== undefined ? { bestEpoch } : {}),
    };
  } finally {
    model.dispose();
  }
}

/**
 * Splits the dataset, fits every model on train and evaluates it on test with full ranking.
 * @example const report = await runExperiment({ tables, dataset: 'ml-100k', models: ['itemknn', 'popularity'] });
 *          report.models.itemknn?.['ndcg@10'];
 */
export async function runExperiment(options: ExperimentOptions): Promise<ExperimentReport> {
  const k = options.k ?? 10;
  const { protocol, split } = splitForProtocol(options.tables, options.protocol ?? 'auto', options.seed);
  const prepared = prepareEvaluation(split.train, split.test, { seen: options.seen ?? 'all' });
  const validation = prepareEvaluation(split.train, split.validation, { seen: options.seen ?? 'all' });
  const report: ExperimentReport = {
    dataset: options.dataset ?? 'dataset',
    protocol,
    k,
    seen: options.seen ?? 'all',
    split: {
      ...split.report,
      positives: { train: prepared.train.userItems.indices.length, test: prepared.relevant.indices.length },
      users_evaluated: prepared.users.length,
    },
    models: {},
    hyperparameters: {},
  };
  const fallback = await fitFallback(prepared);
  try {
    for (const kind of options.models) {
      const { result, fitSeconds, hyperparameters } = await fitAndEvaluate(
        kind,
        options.hyperparameters?.[kind] ?? {},
        prepared,
        fallback,
        {
          k,
          onProgress: options.onProgress,
          signal: options.signal,
          ...(options.onEpoch ? { onEpoch: options.onEpoch } : {}),
          validation,
        },
      );
      report.models[kind] = modelReport(result, fitSeconds);
      report.hyperparameters[kind] = hyperparameters;
    }
  } finally {
    fallback.dispose();
  }
  return report;
}
