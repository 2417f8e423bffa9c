/**
 * EASE (Steck, WWW 2019): a closed-form item-item model. B = I - P diag(1/diag(P)) with P = (X^T X + lambda
 * I)^-1 over the binary positives X; a user's scores are their multi-hot history times B, so recommending,
 * scoring a new history and folding in a posted rating are all one matMul with no solve. The inverse is the
 * blocked Cholesky of `src/tf/cholesky-blocked.ts`; the weights live on the backend as one [n, n] tensor.
 */
import { z } from 'zod';
import { ArtifactIntegrityError } from '../core/errors.js';
import { emptyTopK, type TopK } from '../core/types.js';
import type { CsrMatrix, IdEncoder } from '../dataset/types.js';
import { scoreTopK, topKExcluding, type Exclusion } from '../tf/topk.js';
import { tf, type Tensor2D } from '../tf/tf.js';
import { defineModel, RecommenderBase } from './base.js';
import { checkItemLimit, easeWeights, gramMatrix, resolveLambda } from './ease-weights.js';
import { historyMatrix } from './history.js';
import { checkIndices, checkK } from './ranking.js';
import { itemItemScoringModel } from './scoring-models.js';
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
/** Query rows scored per matMul: [rows, n] x [n, n], about 4M scores. */
const ROWS_PER_BLOCK = (n: number): number => Math.max(1, Math.min(2048, Math.ceil((1 << 22) / n)));

const schema = z
  .object({
    /** L2 regularisation of B; 0 = auto (a multiple of the mean positives per item, see ease-weights.ts). */
    lambda: z.coerce.number().min(0).default(0),
    /** Item limit: a larger catalogue is refused with a ValidationError naming the alternatives. */
    maxItems: z.coerce.number().int().min(1).default(10_000),
  })
  .strict();

export type EaseHyperparameters = z.output<typeof schema>;

interface Fitted {
  users: IdEncoder;
  items: IdEncoder;
  /** Training positives: seen-item exclusion and each user's history. */
  userItems: CsrMatrix;
  /** B [n, n], row = history item, column = scored item, zero diagonal. */
  weights: Tensor2D;
  /** The lambda the fit used (auto resolved). */
  lambda: number;
}

/**
 * EASE on the binary positives of the training matrix.
 * @example const model = easeFactory.create({ lambda: 200 }); await model.fit(train); await model.recommend(users, 10);
 */
export class EaseModel extends RecommenderBase<EaseHyperparameters, Fitted> implements FoldIn {
  readonly kind = 'ease' as const;

  /** The lambda of the fit (the auto rule resolved). */
  get lambda(): number {
    return this.need('lambda').lambda;
  }

  async fit(train: TrainingMatrix, options: FitOptions = {}): Promise<FitReport> {
    const started = performance.now();
    const n = train.userItems.nCols;
    checkItemLimit(n, this.hyperparameters.maxItems);
    const lambda = resolveLambda(this.hyperparameters.lambda, train.userItems);
    const weights = easeWeights(tf.tensor2d(gramMatrix(train.userItems, lambda), [n, n]));
    this.setFitted({ users: train.users, items: train.items, userItems: train.userItems, weights, lambda });
    const seconds = (performance.now() - started) / 1000;
    const epoch = { iteration: 1, iterations: 1, seconds, metrics: { lambda } };
    options.onEpoch?.(epoch);
    return { seconds, epochs: [epoch] };
  }

  async recommend(users: Int32Array, k: number, options: RecommendOptions = {}): Promise<TopK> {
    const { userItems } = this.need('recommend');
    checkK(k);
    checkIndices(users, userItems.nRows, 'user');
    const excludeSeen = options.excludeSeen ?? true;
    return this.scoreRows(users.length, k, (q0, rows) => {
      const exclude: Exclusion[] = [];
      const chunk = users.subarray(q0, q0 + rows);
      if (excludeSeen) exclude.push({ csr: userItems, rows: chunk });
      if (options.exclude) exclude.push({ csr: options.exclude, rows: rangeFrom(q0, rows) });
      return { queries: multiHot(userItems, chunk), exclude };
    });
  }

  async recommendForHistories(
    histories: readonly UserHistory[],
    k: number,
    options: { exclude?: CsrMatrix } = {},
  ): Promise<TopK> {
    const { items } = this.need('recommendForHistories');
    checkK(k);
    const matrix = historyMatrix(histories, items.size);
    return this.scoreRows(histories.length, k, (q0, rows) => {
      const chunk = rangeFrom(q0, rows);
      const exclude: Exclusion[] = [{ csr: matrix, rows: chunk }];
      if (options.exclude) exclude.push({ csr: options.exclude, rows: chunk });
      return { queries: multiHot(matrix, chunk), exclude };
    });
  }

  /** A history's scores for every item (its multi-hot row times B): EASE's fold-in needs no solve. */
  foldIn(history: UserHistory): Float32Array {
    const { items, weights } = this.need('foldIn');
    const matrix = historyMatrix([history], items.size);
    return tf.tidy(() => tf.matMul(multiHot(matrix, Int32Array.of(0)), weights).dataSync() as Float32Array);
  }

  /**
   * Item i's similar items are row i of B: what a history of i alone scores highest (the ranking
   * `recommendForHistories([{ items: [i] }])` gives), i itself left out.
   */
  async similarItems(items: Int32Array, k: number): Promise<TopK> {
    const { weights, items: encoder } = this.need('similarItems');
    checkK(k);
    const n = encoder.size;
    checkIndices(items, n, 'item');
    if (items.length === 0 || k === 0) return emptyTopK(items.length, k);
    const self: CsrMatrix = {
      nRows: items.length,
      nCols: n,
      indptr: Int32Array.from({ length: items.length + 1 }, (_, i) => i),
      indices: Int32Array.from(items),
      values: new Float32Array(items.length).fill(1),
    };
    const rows = tf.tidy(
      () => tf.gatherND(weights, tf.tensor2d(Int32Array.from(items), [items.length, 1], 'int32')) as Tensor2D,
    );
    try {
      return await topKExcluding(rows, k, { csr: self });
    } finally {
      rows.dispose();
    }
  }

  getState(): ModelState {
    const { userItems, weights, lambda } = this.need('getState');
    const n = weights.shape[0];
    return {
      kind: this.kind,
      formatVersion: FORMAT_VERSION,
      hyperparameters: { ...this.hyperparameters },
      arrays: {
        weights: { data: weights.dataSync() as Float32Array, shape: [n, n] },
        ...csrToState('userItems', userItems),
      },
      info: { lambda },
    };
  }

  /** Multi-hot history -> Dense(items) whose kernel is B: the artifact any TF.js user can run as is. */
  scoringModel(): ScoringModel {
    const { weights } = this.need('scoringModel');
    return itemItemScoringModel(weights.dataSync() as Float32Array, weights.shape[0]);
  }

  /** Rebuilds a fitted model from `getState()` output (header and hyperparameters checked) and the encoders. */
  static fromState(
    hyperparameters: EaseHyperparameters,
    state: ModelState,
    encoders: { users: IdEncoder; items: IdEncoder },
  ): EaseModel {
    const n = encoders.items.size;
    const data = arrayOf(state, 'weights', 'float32');
    if (data.length !== n * n) {
      throw new ArtifactIntegrityError(
        'ease state',
        `weights hold ${data.length} values for ${n} x ${n} items`,
      );
    }
    const userItems = csrFromState(state, 'userItems', encoders.users.size, n);
    const lambda = typeof state.info?.lambda === 'number' ? state.info.lambda : hyperparameters.lambda;
    const model = new EaseModel(hyperparameters);
    model.setFitted({ ...encoders, userItems, weights: tf.tensor2d(data, [n, n]), lambda });
    return model;
  }

  protected override release(fitted: Fitted): void {
    fitted.weights.dispose();
  }

  /** Scores query rows block by block (history rows times B) and keeps each row's top k. */
  private async scoreRows(
    count: number,
    k: number,
    block: (q0: number, rows: number) => { queries: Float32Array; exclude: Exclusion[] },
  ): Promise<TopK> {
    const { weights } = this.need();
    const n = weights.shape[0];
    const out = emptyTopK(count, k);
    const step = ROWS_PER_BLOCK(n);
    for (let q0 = 0; q0 < count && k > 0; q0 += step) {
      const rows = Math.min(step, count - q0);
      const { queries, exclude } = block(q0, rows);
      const input = tf.tensor2d(queries, [rows, n]);
      try {
        const top = await scoreTopK(input, weights, { k, exclude });
        out.ids.set(top.ids, q0 * k);
        out.scores.set(top.scores, q0 * k);
      } finally {
        input.dispose();
      }
    }
    return out;
  }
}

function rangeFrom(start: number, length: number): Int32Array {
  return Int32Array.from({ length }, (_, i) => start + i);
}

/** Rows `rows` of a CSR as dense multi-hot rows [rows.length, nCols]: 1 where the value is positive. */
function multiHot(m: CsrMatrix, rows: Int32Array): Float32Array {
  const out = new Float32Array(rows.length * m.nCols);
  for (let q = 0; q < rows.length; q++) {
    const r = rows[q] as number;
    for (let p = m.indptr[r] as number; p < (m.indptr[r + 1] as number); p++) {
      if ((m.values[p] as number) > 0) out[q * m.nCols + (m.indices[p] as number)] = 1;
    }
  }
  return out;
}

/**
 * The registry's EASE factory.
 * @example const model = easeFactory.create({ lambda: 500 }); await model.fit(train);
 */
export const easeFactory = defineModel({
  kind: 'ease',
  description: 'EASE: closed-form item-item weights B from (X^T X + lambda I)^-1; scores = history x B',
  schema,
  formatVersion: FORMAT_VERSION,
  create: (hyperparameters) => new EaseModel(hyperparameters),
  restore: (hyperparameters, state, encoders) => EaseModel.fromState(hyperparameters, state, encoders),
});
