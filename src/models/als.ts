/**
 * Alternating least squares on TF.js: implicit feedback (Hu, Koren, Volinsky 2008, with benfred/implicit's
 * conventions: confidence c = alpha * r entering as c - 1 beside Y^T Y, conjugate-gradient steps warm-started
 * from the previous factors, or an exact Cholesky solve) and explicit ratings (weighted-lambda regularisation,
 * Zhou et al. 2008). Scores are dot products of user and item factors; similar items are support-aware co-rating cosine over the training matrix (co-rating.ts), the
 * factor cosine stays as `factorSimilarItems`. Training lives in als-train.ts, the tf solver in als-solve.ts.
 */
import { ArtifactIntegrityError, ValidationError } from '../core/errors.js';
import type { TopK } from '../core/types.js';
import { buildCsr } from '../dataset/csr.js';
import type { CsrMatrix, IdEncoder } from '../dataset/types.js';
import { tf, type Tensor2D } from '../tf/tf.js';
import { gatherRows } from '../tf/rows.js';
import { scoreTopK, type Exclusion } from '../tf/topk.js';
import { alsSchema, solveSettings, type AlsHyperparameters } from './als-hyperparameters.js';
import { gramMatrix, solveRowsExactly } from './als-solve.js';
import { trainAls } from './als-train.js';
import { defineModel, RecommenderBase } from './base.js';
import { CoRatingIndex } from './co-rating.js';
import { historyMatrix } from './history.js';
import { checkIndices, checkK } from './ranking.js';
import { factorScoringModel } from './scoring-models.js';
import { arrayOf, csrFromState, csrToState } from './state.js';
import type {
  FitOptions,
  FitReport,
  FoldIn,
  ModelState,
  RecommendOptions,
  ScoringModel,
  TrainingMatrix,
  UserHistory,
} from './types.js';

const FORMAT_VERSION = 1;

export type { AlsHyperparameters };

interface Fitted {
  users: IdEncoder;
  items: IdEncoder;
  userItems: CsrMatrix;
  userFactors: Float32Array;
  itemFactors: Float32Array;
  /** Tensors for serving, freed by dispose(). */
  tensors: {
    userFactors: Tensor2D;
    itemFactors: Tensor2D;
    /** [f, items]: the pre-transposed operand of scoring matmuls. */
    itemFactorsT: Tensor2D;
    /** [f, items], unit columns: cosine similarity. */
    itemUnitT: Tensor2D;
    /** Y^T Y + lambda I for fold-in (implicit), null for explicit. */
    gram: Tensor2D | null;
    /** X^T X + lambda I for item fold-in (implicit), built on first use; null for explicit. */
    userGram?: Tensor2D | null;
  };
}

/**
 * ALS recommender.
 * @example const model = alsFactory.create({ factors: 64, iterations: 15 }); await model.fit(train);
 */
export class AlsModel extends RecommenderBase<AlsHyperparameters, Fitted> implements FoldIn {
  readonly kind = 'als' as const;
  /** The co-rating index of `similarItems`, built on first use for the fitted training matrix. */
  private coRating: { matrix: CsrMatrix; index: CoRatingIndex } | undefined;

  /** Row-major [users, factors]. */
  get userFactors(): Float32Array {
    return this.need().userFactors;
  }

  /** Row-major [items, factors]. */
  get itemFactors(): Float32Array {
    return this.need().itemFactors;
  }

  async fit(train: TrainingMatrix, options: FitOptions = {}): Promise<FitReport> {
    const started = performance.now();
    const { userItems, users, items } = train;
    if (userItems.nRows !== users.size || userItems.nCols !== items.size) {
      throw new ValidationError(
        'train',
        `matrix is ${userItems.nRows} x ${userItems.nCols} but the encoders hold ${users.size} users, ${items.size} items`,
      );
    }
    if (userItems.indices.length === 0) throw new ValidationError('train', 'holds no interactions');
    const h = this.hyperparameters;
    const result = await trainAls(
      userItems,
      {
        settings: solveSettings(h),
        iterations: h.iterations,
        seed: h.seed,
        batchSize: h.batchSize,
        workers: h.workers,
      },
      options,
    );
    if (!result.userFactors.every(Number.isFinite) || !result.itemFactors.every(Number.isFinite)) {
      // Only without regularization: a row with fewer interactions than factors has a singular system.
      throw new ValidationError(
        'regularization',
        `training diverged to non-finite factors at ${h.regularization}; raise it`,
      );
    }
    this.setFitted(build(h, users, items, userItems, result.userFactors, result.itemFactors));
    return { seconds: (performance.now() - started) / 1000, epochs: result.epochs };
  }

  async recommend(users: Int32Array, k: number, options: RecommendOptions = {}): Promise<TopK> {
    const { userItems, tensors } = this.need();
    checkK(k);
    checkIndices(users, userItems.nRows, 'user');
    const exclude: Exclusion[] = [];
    if (options.excludeSeen ?? true) exclude.push({ csr: userItems, rows: users });
    if (options.exclude) exclude.push({ csr: options.exclude });
    const queries = gatherRows(tensors.userFactors, users);
    try {
      return await scoreTopK(queries, tensors.itemFactorsT, { k, exclude });
    } finally {
      queries.dispose();
    }
  }

  async recommendForHistories(
    histories: readonly UserHistory[],
    k: number,
    options: { exclude?: CsrMatrix } = {},
  ): Promise<TopK> {
    const { items, tensors } = this.need();
    checkK(k);
    const matrix = historyMatrix(histories, items.size);
    const factors = this.foldInMatrix(matrix);
    const queries = tf.tensor2d(factors, [histories.length, this.hyperparameters.factors]);
    try {
      const exclude: Exclusion[] = [{ csr: matrix }];
      if (options.exclude) exclude.push({ csr: options.exclude });
      return await scoreTopK(queries, tensors.itemFactorsT, { k, exclude });
    } finally {
      queries.dispose();
    }
  }

  /** The factors of a user with this history, solved exactly against the item factors (no retraining). */
  foldIn(history: UserHistory): Float32Array {
    return this.foldInMatrix(historyMatrix([history], this.need().items.size));
  }

  /**
   * The factors of an item the model was not trained on (a movie added after training), solved exactly from
   * its raters against the user factors: `raters.items` are dense user indices (no retraining).
   */
  foldInItem(raters: UserHistory): Float32Array {
    const fitted = this.need();
    const { tensors } = fitted;
    if (tensors.userGram === undefined) {
      tensors.userGram = this.hyperparameters.explicit
        ? null
        : gramMatrix(tensors.userFactors, this.hyperparameters.regularization);
    }
    const matrix = historyMatrix([raters], fitted.users.size);
    return solveRowsExactly(
      matrix,
      tensors.userFactors,
      tensors.userGram,
      solveSettings(this.hyperparameters),
    );
  }

  /**
   * Similar items by support-aware co-rating cosine over the training matrix (co-rating.ts: shrinkage 20,
   * minimum support 2), not by the factors: measured with `recsys evaluate --task similar`, the factor cosine
   * put movies with one or two ratings first (their factors point wherever their few raters point) and lost
   * to item-kNN at HR@10 on every dataset (docs/benchmarks.md, "Similar movies"). `factorSimilarItems` keeps
   * the factor cosine.
   */
  async similarItems(items: Int32Array, k: number): Promise<TopK> {
    const { userItems } = this.need('similarItems');
    if (this.coRating?.matrix !== userItems) {
      this.coRating = { matrix: userItems, index: new CoRatingIndex(userItems) };
    }
    return this.coRating.index.similarItems(items, k);
  }

  /** Cosine over the item factors (the item itself excluded): what `similarItems` answered before issue 11. */
  async factorSimilarItems(items: Int32Array, k: number): Promise<TopK> {
    const { tensors } = this.need();
    checkK(k);
    const nItems = tensors.itemUnitT.shape[1];
    checkIndices(items, nItems, 'item');
    const self = buildCsr(
      items.length,
      nItems,
      Int32Array.from(items, (_, q) => q),
      Int32Array.from(items),
    );
    const f = this.hyperparameters.factors;
    const { itemFactors } = this.need();
    const unit = new Float32Array(items.length * f);
    items.forEach((item, q) => {
      const row = itemFactors.subarray(item * f, (item + 1) * f);
      const norm = Math.max(Math.hypot(...row), 1e-12);
      for (let j = 0; j < f; j++) unit[q * f + j] = (row[j] as number) / norm;
    });
    const queries = tf.tensor2d(unit, [items.length, f]);
    try {
      return await scoreTopK(queries, tensors.itemUnitT, { k, exclude: { csr: self } });
    } finally {
      queries.dispose();
    }
  }

  getState(): ModelState {
    const { users, items, userItems, userFactors, itemFactors } = this.need();
    const f = this.hyperparameters.factors;
    return {
      kind: this.kind,
      formatVersion: FORMAT_VERSION,
      hyperparameters: { ...this.hyperparameters },
      arrays: {
        userFactors: { data: userFactors, shape: [users.size, f] },
        itemFactors: { data: itemFactors, shape: [items.size, f] },
        ...csrToState('userItems', userItems),
      },
    };
  }

  /** User index -> user factors -> dense layer whose kernel is the item factors: the dot products. */
  scoringModel(): ScoringModel {
    const { users, items, userFactors, itemFactors } = this.need('scoringModel');
    const factors = this.hyperparameters.factors;
    return factorScoringModel(userFactors, itemFactors, { users: users.size, items: items.size, factors });
  }

  /** Rebuilds a fitted model from `getState()` output (header and hyperparameters checked) and the encoders. */
  static fromState(
    h: AlsHyperparameters,
    state: ModelState,
    encoders: { users: IdEncoder; items: IdEncoder },
  ): AlsModel {
    const { users, items } = encoders;
    const userFactors = factorArray(state, 'userFactors', users.size, h.factors);
    const itemFactors = factorArray(state, 'itemFactors', items.size, h.factors);
    const userItems = csrFromState(state, 'userItems', users.size, items.size);
    const model = new AlsModel(h);
    model.setFitted(build(h, users, items, userItems, userFactors, itemFactors));
    return model;
  }

  protected override release(fitted: Fitted): void {
    this.coRating = undefined;
    const t = fitted.tensors;
    tf.dispose([
      t.userFactors,
      t.itemFactors,
      t.itemFactorsT,
      t.itemUnitT,
      ...(t.gram ? [t.gram] : []),
      ...(t.userGram ? [t.userGram] : []),
    ]);
  }

  private foldInMatrix(matrix: CsrMatrix): Float32Array {
    const { tensors } = this.need();
    return solveRowsExactly(matrix, tensors.itemFactors, tensors.gram, solveSettings(this.hyperparameters));
  }
}

function build(
  h: AlsHyperparameters,
  users: IdEncoder,
  items: IdEncoder,
  userItems: CsrMatrix,
  userFactors: Float32Array,
  itemFactors: Float32Array,
): Fitted {
  const f = h.factors;
  const tensors = tf.tidy(() => {
    const itemTensor = tf.tensor2d(itemFactors, [items.size, f]);
    const itemT = tf.transpose(itemTensor) as Tensor2D;
    // Cosine: unit item columns; an all-zero item (no interactions) stays zero rather than NaN.
    const norms = tf.maximum(tf.sqrt(tf.sum(tf.square(itemT), 0, true)), 1e-12);
    return {
      userFactors: tf.tensor2d(userFactors, [users.size, f]),
      itemFactors: itemTensor,
      itemFactorsT: itemT,
      itemUnitT: tf.div(itemT, norms) as Tensor2D,
    };
  });
  const gram = h.explicit ? null : gramMatrix(tensors.itemFactors, h.regularization);
  return { users, items, userItems, userFactors, itemFactors, tensors: { ...tensors, gram } };
}

function factorArray(state: ModelState, name: string, rows: number, f: number): Float32Array {
  const data = arrayOf(state, name, 'float32');
  if (data.length !== rows * f) {
    throw new ArtifactIntegrityError(
      'als state',
      `${name} holds ${data.length} values, expected ${rows} x ${f}`,
    );
  }
  if (!data.every(Number.isFinite))
    throw new ArtifactIntegrityError('als state', `${name} holds non-finite values`);
  return data;
}

/**
 * The registry's entry for ALS.
 * @example const model = alsFactory.create(alsFactory.parseHyperparameters({ factors: '32' }));
 */
export const alsFactory = defineModel({
  kind: 'als',
  description: 'Alternating least squares (implicit confidence or explicit ratings) on TF.js',
  schema: alsSchema,
  formatVersion: FORMAT_VERSION,
  create: (hyperparameters) => new AlsModel(hyperparameters),
  restore: (hyperparameters, state, encoders) => AlsModel.fromState(hyperparameters, state, encoders),
});
