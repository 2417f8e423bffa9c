import { ValidationError } from '../core/errors.js';
import type { ProgressListener } from '../core/progress.js';
import type { ModelKind } from '../core/types.js';
import type { DatasetTables } from '../data/schema.js';
import { trainingMatrix } from '../dataset/confidence.js';
import { interactionsToCsr } from '../dataset/csr.js';
import { interactionsFromRatings } from '../dataset/interactions.js';
import type { CsrMatrix } from '../dataset/types.js';
import { DEFAULT_POSITIVE_THRESHOLD } from '../eval/evaluator.js';
import { runExperiment, type ExperimentReport } from '../eval/experiment.js';
import { protocolSpec, type ProtocolName } from '../eval/protocol.js';
import { getModelFactory } from '../models/registry.js';
import type { EpochReport, Recommender } from '../models/types.js';
import { datasetFingerprint } from './fingerprint.js';

export interface TrainOnDatasetOptions {
  tables: DatasetTables;
  /** Dataset name for reports and the manifest. */
  dataset: string;
  kind: ModelKind;
  /** Raw hyperparameters, validated and completed by the model's factory (ValidationError naming a field). */
  hyperparameters?: Record<string, unknown>;
  /** First measure the model under the evaluator's protocol (split, fit on train, test metrics). */
  evaluate?: boolean;
  /** Cut-off of the metrics (default 10). */
  k?: number;
  /** Evaluation protocol (default 'auto': temporal where there are timestamps, random leave-5 otherwise). */
  protocol?: ProtocolName | 'auto';
  /** Seed of the random protocol's split (default 42). */
  seed?: number;
  onEpoch?: (report: EpochReport) => void;
  /** Per-iteration reports of the evaluation's fit (on the split's train side), when `evaluate` is set. */
  onEvaluationEpoch?: (report: EpochReport) => void;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

export interface DatasetInfo {
  name: string;
  /** datasetFingerprint of the ratings. */
  hash: string;
  users: number;
  items: number;
  /** Every rating (or interaction) of the dataset. */
  interactions: number;
  /** Those the model trained on: rating >= 4, or all of implicit-only data. */
  positives: number;
}

export interface TrainedModel {
  /** Fitted on the whole dataset. The caller owns it (dispose when done). */
  model: Recommender;
  /** Every item each user rated (not only positives), rows and columns as the model's encoders. */
  seen: CsrMatrix;
  /** Test metrics (`ndcg@10`...) under the protocol, when `evaluate` was set. */
  metrics: Record<string, number> | null;
  /** What was measured and how, when `evaluate` was set. */
  evaluation: { split: string; report: ExperimentReport } | null;
  /** How ratings became training values (see trainingValues). */
  values: TrainingValues;
  fitSeconds: number;
  epochs: EpochReport[];
  hyperparameters: Record<string, number | string | boolean>;
  dataset: DatasetInfo;
}

/**
 * Production training: the model is fit on all of the dataset with the seed protocol's values (binary
 * positives, rating >= 4; every interaction on implicit-only data), after an optional evaluation run under
 * the evaluator's protocol so the artifact can carry test metrics.
 * @example const { model, seen, metrics } = await trainOnDataset({ tables, dataset: 'ml-100k', kind: 'als', evaluate: true });
 */
export async function trainOnDataset(options: TrainOnDatasetOptions): Promise<TrainedModel> {
  const factory = getModelFactory(options.kind);
  const hyperparameters = factory.parseHyperparameters(options.hyperparameters ?? {});
  const k = options.k ?? 10;

  let evaluation: TrainedModel['evaluation'] = null;
  let metrics: Record<string, number> | null = null;
  if (options.evaluate) {
    const report = await runExperiment({
      tables: options.tables,
      dataset: options.dataset,
      protocol: options.protocol ?? 'auto',
      models: [options.kind],
      hyperparameters: { [options.kind]: hyperparameters },
      k,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.onEvaluationEpoch ? { onEpoch: options.onEvaluationEpoch } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const modelReport = report.models[options.kind];
    metrics = modelReport ? { ...modelReport } : null;
    evaluation = { split: describeSplit(report), report };
  }

  const all = interactionsFromRatings(options.tables.ratings);
  const values = trainingValues(hyperparameters, all.rating !== null);
  const train = trainingMatrix(all, values);
  const seen = interactionsToCsr(all);
  const model = factory.create(hyperparameters);
  try {
    const started = performance.now();
    const fit = await model.fit(train, {
      ...(options.onEpoch ? { onEpoch: options.onEpoch } : {}),
      ...(options.onProgress
        ? { onProgress: fitProgress(options.onProgress, options.onEpoch !== undefined) }
        : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const fitSeconds = (performance.now() - started) / 1000;
    return {
      model,
      seen,
      metrics,
      evaluation,
      values,
      fitSeconds,
      epochs: fit.epochs,
      hyperparameters: { ...model.hyperparameters },
      dataset: {
        name: options.dataset,
        hash: datasetFingerprint(options.tables.ratings),
        users: all.users.size,
        items: all.items.size,
        interactions: all.user.length,
        positives: train.userItems.indices.length,
      },
    };
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/**
 * The listener a fit gets. With an `onEpoch` listener, the model's own per-iteration events (unit
 * 'iterations') say what the epoch reports say, so they are dropped and a progress bar shows each iteration
 * once; other events (e.g. item-kNN's similarity blocks) pass through.
 */
function fitProgress(onProgress: ProgressListener, hasEpochListener: boolean): ProgressListener {
  return hasEpochListener
    ? (event) => (event.unit === 'iterations' ? undefined : onProgress(event))
    : onProgress;
}

/** How ratings become the values a model trains on. */
export interface TrainingValues {
  weighting: 'binary' | 'rating';
  /** Ratings below it are left out; 'none' keeps every interaction. */
  threshold: number | 'none';
}

/**
 * The seed protocol's values: binary positives, rating >= 4 (every interaction on implicit-only data). A
 * model that declares `explicit: true` (explicit ALS) trains on every rating's value instead.
 * @example trainingValues({ explicit: true }, true) // { weighting: 'rating', threshold: 'none' }
 */
export function trainingValues(
  hyperparameters: Record<string, unknown>,
  hasRatings: boolean,
): TrainingValues {
  if (hyperparameters.explicit === true) {
    if (!hasRatings)
      throw new ValidationError('explicit', 'explicit training needs ratings; this dataset has none');
    return { weighting: 'rating', threshold: 'none' };
  }
  return { weighting: 'binary', threshold: hasRatings ? DEFAULT_POSITIVE_THRESHOLD : 'none' };
}

/** One line for the manifest: how the metrics were measured. */
function describeSplit(report: ExperimentReport): string {
  const spec = protocolSpec(report.protocol, report.split.seed ?? undefined);
  const s = report.split;
  const shape =
    'test' in spec
      ? `${spec.strategy}: per user ${spec.test} to test, ${spec.validation ?? 0} to validation, ` +
        `users with < ${spec.minHistory ?? spec.test + 1} interactions whole in train`
      : spec.strategy;
  return (
    `${report.protocol} (${shape}${s.seed !== null ? `, seed ${s.seed}` : ''}); ` +
    `positives rating >= ${DEFAULT_POSITIVE_THRESHOLD} (all on implicit data); train items excluded; ` +
    `metrics @${report.k} over ${s.users_evaluated} users (train ${s.sizes.train}, validation ` +
    `${s.sizes.validation}, test ${s.sizes.test})`
  );
}
