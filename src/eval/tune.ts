/**
 * Hyperparameter search for any registered model: seeded random (or grid) search over a discrete space,
 * each setting fit on train and scored on the validation slice only; the best setting is then fit on train
 * once more and scored on the test slice, beside the model's defaults for comparison. The test slice never
 * influences the choice.
 */
import { ValidationError } from '../core/errors.js';
import type { ProgressListener } from '../core/progress.js';
import { createRng, shuffleInPlace } from '../core/rng.js';
import type { ModelKind } from '../core/types.js';
import type { DatasetTables } from '../data/schema.js';
import type { SplitReport } from '../dataset/splits.js';
import { concatInteractions } from '../dataset/interactions.js';
import { getModelFactory } from '../models/registry.js';
import { prepareEvaluation, type PreparedEvaluation } from './evaluator.js';
import { fitAndEvaluate, fitFallback, modelReport, type ModelReport } from './experiment.js';
import { RANKING_METRIC_NAMES, type RankingMetricName } from './metrics.js';
import { splitForProtocol, type ProtocolName } from './protocol.js';

type Value = number | string | boolean;
/** Candidate values per hyperparameter name. */
export type SearchSpace = Record<string, readonly Value[]>;

/** Default spaces; names a model's factory does not know are left out (`searchSpaceFor`). */
export const SEARCH_SPACES: Partial<Record<ModelKind, SearchSpace>> = {
  als: {
    factors: [32, 48, 64, 96, 128, 192, 256],
    regularization: [0.001, 0.01, 0.03, 0.1, 0.3, 1, 3, 10],
    alpha: [0.5, 1, 2, 4, 8, 16, 32],
    iterations: [10, 15, 20, 30],
  },
  // BM25's K1 and B matter only with weighting 'bm25' (they would make distinct settings of equal models);
  // add them with `--space bm25K1=0.6,1.2,2` when searching BM25 alone.
  itemknn: {
    neighbours: [20, 50, 100, 200, 400, 800],
    weighting: ['cosine', 'tfidf', 'bm25'],
  },
  // Epochs are not searched: every trial stops early on validation, and the refit takes the kept epoch.
  // Around the default (softmax) loss, whose L2 scale is its own: the sampled losses want ~1e-4, so search
  // them apart, e.g. `--param neural.loss=bce --space l2=0,0.00001,0.0001,0.001 --space batchSize=256,1024,8192`.
  neural: {
    factors: [64, 128, 256],
    learningRate: [0.003, 0.01, 0.03],
    l2: [0.003, 0.01, 0.03, 0.1],
    batchSize: [32, 64, 128, 256],
  },
  // EASE's one knob: its regularisation, around the default rule's values on MovieLens (docs/benchmarks.md).
  ease: { lambda: [50, 100, 200, 300, 500, 1000, 2000, 5000] },
};

/**
 * The default search space of a model, restricted to the hyperparameters its factory has.
 * @example searchSpaceFor('itemknn').neighbours; // [20, 50, ...]
 */
export function searchSpaceFor(kind: ModelKind): SearchSpace {
  const defaults = getModelFactory(kind).defaults;
  const space = Object.fromEntries(
    Object.entries(SEARCH_SPACES[kind] ?? {}).filter(([name]) => name in defaults),
  ) as SearchSpace;
  if (Object.keys(space).length === 0) {
    throw new ValidationError('model', `${kind} has no hyperparameters to tune`);
  }
  return space;
}

/**
 * The settings to try after the defaults: `random` draws up to `count` distinct settings with the seed;
 * `grid` takes the whole cartesian product (a seeded shuffle of it, cut to `count`, when it is larger).
 * @example candidateSettings({ a: [1, 2] }, 'grid', 10, 42); // [{ a: 1 }, { a: 2 }] in a seeded order
 */
export function candidateSettings(
  space: SearchSpace,
  strategy: 'random' | 'grid',
  count: number,
  seed: number,
  skip: readonly Record<string, unknown>[] = [],
): Record<string, Value>[] {
  const names = Object.keys(space);
  const seen = new Set(skip.map((s) => keyOf(s, names)));
  const rng = createRng(seed);
  const out: Record<string, Value>[] = [];
  const take = (setting: Record<string, Value>): void => {
    const key = keyOf(setting, names);
    if (seen.has(key) || out.length >= count) return;
    seen.add(key);
    out.push(setting);
  };
  if (strategy === 'grid') {
    let grid: Record<string, Value>[] = [{}];
    for (const name of names)
      grid = grid.flatMap((g) => (space[name] ?? []).map((v) => ({ ...g, [name]: v })));
    const order = shuffleInPlace(Int32Array.from(grid.keys()), rng);
    for (const i of order) take(grid[i] as Record<string, Value>);
    return out;
  }
  const size = names.reduce((n, name) => n * (space[name]?.length ?? 1), 1);
  for (
    let attempt = 0;
    attempt < 50 * count && out.length < count && seen.size < size + skip.length;
    attempt++
  ) {
    const setting: Record<string, Value> = {};
    for (const name of names) {
      const values = space[name] ?? [];
      setting[name] = values[rng.int(values.length)] as Value;
    }
    take(setting);
  }
  return out;
}

function keyOf(setting: Record<string, unknown>, names: readonly string[]): string {
  return JSON.stringify(names.map((n) => setting[n]));
}

export interface TuneOptions {
  tables: DatasetTables;
  dataset?: string;
  model: ModelKind;
  /** Default `searchSpaceFor(model)`. */
  space?: SearchSpace;
  /** Hyperparameters held fixed in every trial (e.g. a seed or cg steps). */
  fixed?: Record<string, unknown>;
  /** Settings tried in all, the defaults included (default 20). */
  trials?: number;
  strategy?: 'random' | 'grid';
  /** Seed of the search (default 42). */
  seed?: number;
  /** Seed of the random protocol's split (default 42). */
  splitSeed?: number;
  protocol?: ProtocolName | 'auto';
  /** Cut-off of the test metrics (default 10). */
  k?: number;
  /** The metric chosen on (default 'ndcg'). */
  metric?: RankingMetricName;
  /**
   * Cut-off of the metric chosen on, on validation (default 100). The validation slice holds one rating per
   * user, so at @10 most users score 0 and the mean is noisy; on ml-100k the Spearman correlation of 20
   * trials' validation figure with their test NDCG@10 was 0.90 at @10, 0.96 at @50, 0.98 at @100.
   */
  selectK?: number;
  /**
   * Fit the chosen setting (and the defaults) on train + validation before scoring on test (default true):
   * once the choice is made the validation ratings are training data, and in the temporal protocol they are
   * each user's most recent ones before the test slice. False scores models fit on train alone.
   */
  refit?: boolean;
  onProgress?: ProgressListener;
  /** Called after each trial (for tables that grow as the search runs). */
  onTrial?: (trial: TrialResult) => void;
  signal?: AbortSignal;
}

export interface TrialResult {
  trial: number;
  hyperparameters: Record<string, Value>;
  /** Figures on the validation slice. */
  validation: ModelReport;
  /** Standard error of the chosen metric's mean on validation (how far apart two trials must be to differ). */
  validationStandardError: number;
}

export interface TuneReport {
  dataset: string;
  model: ModelKind;
  protocol: ProtocolName;
  k: number;
  /** The key chosen on, e.g. 'ndcg@100' (on validation). */
  metric: string;
  /** Whether the test figures come from fits on train + validation. */
  refit: boolean;
  strategy: 'random' | 'grid';
  seed: number;
  split: SplitReport & { users_validation: number; users_test: number };
  trials: TrialResult[];
  best: TrialResult & { test: ModelReport };
  /** The model's defaults (trial 0) scored on test, for comparison. */
  defaults: { hyperparameters: Record<string, Value>; test: ModelReport };
}

/**
 * Searches a model's hyperparameters on the validation slice and reports the best setting's test figures.
 * @example const report = await tune({ tables, model: 'als', trials: 20, seed: 42 });
 *          report.best.hyperparameters; report.best.test['ndcg@10'];
 */
export async function tune(options: TuneOptions): Promise<TuneReport> {
  const k = options.k ?? 10;
  const metric = options.metric ?? 'ndcg';
  if (!RANKING_METRIC_NAMES.includes(metric)) {
    throw new ValidationError(
      'metric',
      `unknown metric '${String(metric)}'; use ${RANKING_METRIC_NAMES.join(', ')}`,
    );
  }
  const trials = options.trials ?? 20;
  if (!(Number.isInteger(trials) && trials >= 1))
    throw new ValidationError('trials', `must be >= 1, got ${trials}`);
  const strategy = options.strategy ?? 'random';
  const seed = options.seed ?? 42;
  const factory = getModelFactory(options.model);
  const space = options.space ?? searchSpaceFor(options.model);
  const fixed = options.fixed ?? {};
  const defaults = factory.parseHyperparameters({ ...fixed }) as Record<string, Value>;
  const settings = [defaults, ...candidateSettings(space, strategy, trials - 1, seed, [defaults])].map(
    (s) => factory.parseHyperparameters({ ...s, ...fixed }) as Record<string, Value>,
  );

  const selectK = options.selectK ?? 100;
  if (!(Number.isInteger(selectK) && selectK >= 1))
    throw new ValidationError('selectK', `must be a whole number >= 1, got ${selectK}`);
  const refit = options.refit ?? true;
  const { protocol, split } = splitForProtocol(options.tables, options.protocol ?? 'auto', options.splitSeed);
  const onValidation = prepareEvaluation(split.train, split.validation);
  const onTest = prepareEvaluation(
    refit ? concatInteractions(split.train, split.validation) : split.train,
    split.test,
  );
  const key = `${metric}@${selectK}`;
  const fallback = await fitFallback(onValidation);
  const testFallback = refit ? await fitFallback(onTest) : fallback;
  const results: TrialResult[] = [];
  let best: TrialResult | undefined;
  const total = settings.length + 2;
  // Trials stop early on the validation slice they are scored on; a refit on train + validation has none
  // left, so it trains for the epochs the trial kept (Keras users' usual practice).
  const run = (hyperparameters: Record<string, Value>, prepared: PreparedEvaluation, cutoff: number) =>
    fitAndEvaluate(options.model, hyperparameters, prepared, prepared === onTest ? testFallback : fallback, {
      k: cutoff,
      signal: options.signal,
      ...(prepared === onValidation ? { validation: onValidation } : {}),
    });
  const bestEpochs = new Map<number, number>();
  const forTest = (trial: TrialResult): Record<string, Value> => {
    const epochs = bestEpochs.get(trial.trial);
    return epochs !== undefined && refit && 'epochs' in trial.hyperparameters
      ? { ...trial.hyperparameters, epochs }
      : trial.hyperparameters;
  };
  try {
    options.onProgress?.({ phase: `tune ${options.model}`, done: 0, total, unit: 'trials' });
    for (const [trial, hyperparameters] of settings.entries()) {
      const { result, fitSeconds, bestEpoch } = await run(hyperparameters, onValidation, selectK);
      if (bestEpoch !== undefined) bestEpochs.set(trial, bestEpoch);
      const outcome = {
        trial,
        hyperparameters,
        validation: modelReport(result, fitSeconds),
        validationStandardError: result.standardErrors[metric],
      };
      results.push(outcome);
      if (!best || (outcome.validation[key] as number) > (best.validation[key] as number)) best = outcome;
      options.onTrial?.(outcome);
      options.onProgress?.({
        phase: `tune ${options.model}`,
        done: trial + 1,
        total,
        unit: 'trials',
        detail: `best validation ${key} ${(best.validation[key] as number).toFixed(4)} (trial ${best.trial})`,
      });
    }
    const chosen = best as TrialResult;
    const bestTest = await run(forTest(chosen), onTest, k);
    options.onProgress?.({ phase: `tune ${options.model}`, done: total - 1, total, unit: 'trials' });
    const defaultsTest = await run(forTest(results[0] as TrialResult), onTest, k);
    options.onProgress?.({ phase: `tune ${options.model}`, done: total, total, unit: 'trials' });
    return {
      dataset: options.dataset ?? 'dataset',
      model: options.model,
      protocol,
      k,
      metric: key,
      refit,
      strategy,
      seed,
      split: {
        ...split.report,
        users_validation: onValidation.users.length,
        users_test: onTest.users.length,
      },
      trials: results,
      best: { ...chosen, test: modelReport(bestTest.result, bestTest.fitSeconds) },
      defaults: {
        hyperparameters: defaults,
        test: modelReport(defaultsTest.result, defaultsTest.fitSeconds),
      },
    };
  } finally {
    fallback.dispose();
    if (testFallback !== fallback) testFallback.dispose();
  }
}
