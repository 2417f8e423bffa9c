import type { ProgressListener } from '../core/progress.js';
import type { ModelKind, TopK } from '../core/types.js';
import type { z } from 'zod';
import type { CsrMatrix, IdEncoder, TrainingMatrix } from '../dataset/types.js';
import type { LayersModel } from '../tf/layers.js';

/** Hyperparameter values as they are stored in manifests and passed on the command line. */
export type HyperparameterValues = Record<string, number | string | boolean>;

/** What a model is trained on (declared in the dataset layer, which builds it). */
export type { TrainingMatrix } from '../dataset/types.js';

/** One step of training, reported through `FitOptions.onEpoch` (CLI bar, TUI chart, notebooks). */
export interface EpochReport {
  iteration: number;
  iterations: number;
  /** Training loss after this iteration, where the model defines one. */
  loss?: number;
  /** Wall seconds of this iteration. */
  seconds: number;
  /** Model-specific figures (e.g. RMSE for explicit ALS). */
  metrics?: Record<string, number>;
}

export interface FitOptions {
  onEpoch?: (report: EpochReport) => void;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  /**
   * Scores the model as it stands on a validation slice (higher is better). Models that train by epochs
   * call it after each one for early stopping and keep the best epoch; the others ignore it.
   */
  validate?: () => Promise<number>;
}

export interface FitReport {
  seconds: number;
  epochs: EpochReport[];
  /** The epoch whose weights were kept, where the model stops early (1-based). */
  bestEpoch?: number;
}

/** A user's items, dense indices, with optional weights (confidence or rating). */
export interface UserHistory {
  items: Int32Array;
  values?: Float32Array;
}

export interface RecommendOptions {
  /** Leave out the items the user has in the training matrix (default true). */
  excludeSeen?: boolean;
  /** Further items to leave out, one row per entry of `users` (row q for users[q]). */
  exclude?: CsrMatrix;
}

/**
 * A model's weights and settings, everything needed to rebuild it: what the artifact layer writes as TF.js
 * weights (`arrays`) and manifest fields (`hyperparameters`, `info`).
 */
export interface ModelState {
  kind: ModelKind;
  /** Bumped when the meaning of `arrays` changes; load refuses other versions. */
  formatVersion: number;
  hyperparameters: Record<string, number | string | boolean>;
  arrays: Record<string, { data: Float32Array | Int32Array; shape: number[] }>;
  info?: Record<string, unknown>;
}

/**
 * The one interface every model implements. Indices in and out are dense; callers map raw ids with the
 * model's `users` and `items` encoders.
 */
export interface Recommender {
  readonly kind: ModelKind;
  readonly hyperparameters: Readonly<Record<string, number | string | boolean>>;
  /** Encoders of the data the model was fit on (throws before fit). */
  readonly users: IdEncoder;
  readonly items: IdEncoder;
  fit(train: TrainingMatrix, options?: FitOptions): Promise<FitReport>;
  /** Top-k items for each of `users` (dense), from their training history. */
  recommend(users: Int32Array, k: number, options?: RecommendOptions): Promise<TopK>;
  /** Top-k items for histories not (or no longer) in the training data; history items are excluded. */
  recommendForHistories(
    histories: readonly UserHistory[],
    k: number,
    options?: { exclude?: CsrMatrix },
  ): Promise<TopK>;
  /** The k most similar items to each of `items` (the item itself excluded). */
  similarItems(items: Int32Array, k: number): Promise<TopK>;
  /**
   * The user x item matrix the model was fit on (the training positives), or null where a model keeps none;
   * served similar movies are co-ratings over it (src/serving/similar-source.ts). Throws before fit.
   */
  readonly trainingMatrix?: CsrMatrix | null;
  getState(): ModelState;
  /**
   * The model as a stock TF.js Layers model whose `predict` gives scores (what the artifact's model.json
   * holds, so `tf.loadLayersModel` opens it in Node or a browser). The caller disposes it.
   */
  scoringModel(): ScoringModel;
  /** Frees the model's tensors. */
  dispose(): void;
}

/**
 * What a scoring model's `predict` takes; it always answers one score per item and input row:
 * - `user`: dense user indices, float32 `[batch, 1]` -> `[batch, items]`;
 * - `history`: multi-hot rows of the items a user liked, float32 `[batch, items]` -> `[batch, items]`;
 * - `user-item`: `[users [batch, 1], items [batch, 1]]` -> `[batch, 1]` (pairwise models: feed a user's
 *   index beside every item index to rank the catalogue).
 */
export type ScoringInput = 'user' | 'history' | 'user-item';

/** A Layers model whose predict gives the same scores (and so the same ranking) as the model's recommend. */
export interface ScoringModel {
  model: LayersModel;
  input: ScoringInput;
}

/** Optional ability: latent factors for a new or changed user without retraining. */
export interface FoldIn {
  foldIn(history: UserHistory): Float32Array;
}

export function isFoldIn(model: Recommender): model is Recommender & FoldIn {
  return typeof (model as Partial<FoldIn>).foldIn === 'function';
}

/**
 * Optional ability: latent factors for an item the model was not trained on, from its raters (`items` holds
 * the raters' dense user indices, `values` what training gave their ratings), against the trained user
 * factors: the item half-step, as `foldIn` is the user half-step.
 */
export interface ItemFoldIn {
  foldInItem(raters: UserHistory): Float32Array;
}

export function isItemFoldIn(model: Recommender): model is Recommender & ItemFoldIn {
  return typeof (model as Partial<ItemFoldIn>).foldInItem === 'function';
}

/** How the registry builds a model of one kind. */
export interface ModelFactory<H extends HyperparameterValues = HyperparameterValues> {
  readonly kind: ModelKind;
  readonly description: string;
  /** The hyperparameters as a strict zod object with defaults (forms in the TUI are generated from it). */
  readonly schema: z.AnyZodObject;
  readonly defaults: H;
  /** Validates and completes hyperparameters (throws ValidationError naming the field). */
  parseHyperparameters(input: Record<string, unknown>): H;
  create(hyperparameters?: Partial<H>): Recommender;
  fromState(state: ModelState, encoders: { users: IdEncoder; items: IdEncoder }): Recommender;
}
