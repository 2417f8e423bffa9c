/**
 * Alternating least squares on TF.js: implicit feedback (Hu, Koren, Volinsky 2008, with benfred/implicit's
 * conventions: confidence c = alpha * r entering as c - 1 beside Y^T Y, conjugate-gradient steps warm-started
 * from the previous factors, or an exact Cholesky solve) and explicit ratings (weighted-lambda regularisation,
 * Zhou et al. 2008). Scores are dot products of user and item factors; similar items are cosine over item
 * factors. Training lives in als-train.ts, the tf solver in als-solve.ts.
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
import { parseHyperparameterInput } from './hyperparameters.js';
import { checkIndices, checkK } from './ranking.js';
import { arrayOf, checkStateHeader, csrFromState, csrToState } from './state.js';
import type {
  FitOptions,
  FitReport,
  FoldIn,
  ModelFactory,
  ModelState,
  RecommendOptions,
  Recommender,
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
  };
}

/**
 * ALS recommender.
 * @example const model = alsFactory.create({ factors: 64, iterations: 15 }); await model.fit(train);
 */
export class AlsModel implements Recommender, FoldIn {
  readonly kind = 'als' as const;
  readonly hyperparameters: Readonly<AlsHyperparameters>;
  private fitted: Fitted | undefined;

  constructor(hyperparameters: AlsHyperparameters) {
    this.hyperparameters = Object.freeze({ ...hyperparameters });
  }

  get users(): IdEncoder {
    return this.need().users;
  }

  get items(): IdEncoder {
    return this.need().items;
  }

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
    this.dispose();
    this.fitted = build(h, users, items, userItems, result.userFactors, result.itemFactors);
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

  async similarItems(items: Int32Array, k: number): Promise<TopK> {
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

  /** Rebuilds a fitted model from `getState()` output and the encoders stored beside it. */
  static fromState(state: ModelState, encoders: { users: IdEncoder; items: IdEncoder }): AlsModel {
    checkStateHeader(state, 'als', FORMAT_VERSION);
    let h: AlsHyperparameters;
    try {
      h = parseHyperparameterInput('als', alsSchema, state.hyperparameters);
    } catch (error) {
      throw new ArtifactIntegrityError('als state', (error as Error).message);
    }
    const { users, items } = encoders;
    const userFactors = factorArray(state, 'userFactors', users.size, h.factors);
    const itemFactors = factorArray(state, 'itemFactors', items.size, h.factors);
    const userItems = csrFromState(state, 'userItems', users.size, items.size);
    const model = new AlsModel(h);
    model.fitted = build(h, users, items, userItems, userFactors, itemFactors);
    return model;
  }

  dispose(): void {
    if (!this.fitted) return;
    const t = this.fitted.tensors;
    tf.dispose([t.userFactors, t.itemFactors, t.itemFactorsT, t.itemUnitT, ...(t.gram ? [t.gram] : [])]);
    this.fitted = undefined;
  }

  private foldInMatrix(matrix: CsrMatrix): Float32Array {
    const { tensors } = this.need();
    return solveRowsExactly(matrix, tensors.itemFactors, tensors.gram, solveSettings(this.hyperparameters));
  }

  private need(): Fitted {
    if (!this.fitted) throw new Error('als model is not fitted');
    return this.fitted;
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

function historyMatrix(histories: readonly UserHistory[], nItems: number): CsrMatrix {
  let nnz = 0;
  histories.forEach((history, q) => {
    checkIndices(history.items, nItems, 'item');
    if (history.values && history.values.length !== history.items.length) {
      throw new RangeError(
        `history ${q} has ${history.values.length} values for ${history.items.length} items`,
      );
    }
    nnz += history.items.length;
  });
  const rows = new Int32Array(nnz);
  const cols = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  let p = 0;
  histories.forEach((history, q) => {
    for (let j = 0; j < history.items.length; j++, p++) {
      rows[p] = q;
      cols[p] = history.items[j] as number;
      values[p] = history.values ? (history.values[j] as number) : 1;
    }
  });
  return buildCsr(histories.length, nItems, rows, cols, values);
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
export const alsFactory: ModelFactory<AlsHyperparameters> = {
  kind: 'als',
  description: 'Alternating least squares (implicit confidence or explicit ratings) on TF.js',
  defaults: alsSchema.parse({}),
  parseHyperparameters: (input) => parseHyperparameterInput('als', alsSchema, input),
  create: (hyperparameters = {}) => new AlsModel(parseHyperparameterInput('als', alsSchema, hyperparameters)),
  fromState: (state, encoders) => AlsModel.fromState(state, encoders),
};
