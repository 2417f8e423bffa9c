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
import { topKExcluding, type Exclusion } from '../tf/topk.js';
import { tf, type Tensor2D } from '../tf/tf.js';
import { defineModel, RecommenderBase } from './base.js';
import {
  checkItemLimit,
  easeWeights,
  exclusionOnModelled,
  gramMatrix,
  modelledItems,
  resolveLambda,
  restrictToModelled,
  type ModelledItems,
} from './ease-weights.js';
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
/** Query rows scored per block: [rows, m] scores, about 4M. */
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
  /** The modelled items (those with a training positive) and their places. */
  modelled: ModelledItems;
  /** Training positives on the modelled items' places (what recommend scores). */
  modelledUserItems: CsrMatrix;
  /** Every training item of each user on the modelled places (what recommend leaves out). */
  modelledSeen: CsrMatrix;
  /** B over the modelled items [m, m], row = history item, column = scored item, zero diagonal. */
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
    const modelled = modelledItems(train.userItems);
    const m = modelled.kept.length;
    checkItemLimit(m, this.hyperparameters.maxItems);
    const lambda = resolveLambda(this.hyperparameters.lambda, train.userItems);
    const modelledUserItems = restrictToModelled(train.userItems, modelled);
    const weights = easeWeights(tf.tensor2d(gramMatrix(modelledUserItems, lambda), [m, m]));
    this.setFitted({
      users: train.users,
      items: train.items,
      userItems: train.userItems,
      modelled,
      modelledUserItems,
      modelledSeen: exclusionOnModelled(train.userItems, modelled),
      weights,
      lambda,
    });
    const seconds = (performance.now() - started) / 1000;
    const epoch = { iteration: 1, iterations: 1, seconds, metrics: { lambda } };
    options.onEpoch?.(epoch);
    return { seconds, epochs: [epoch] };
  }

  async recommend(users: Int32Array, k: number, options: RecommendOptions = {}): Promise<TopK> {
    const { userItems, modelled, modelledUserItems, modelledSeen } = this.need('recommend');
    checkK(k);
    checkIndices(users, userItems.nRows, 'user');
    const excludeSeen = options.excludeSeen ?? true;
    // Every item the user has (not only positives) is seen; `exclude` rows follow the query order.
    const seen = excludeSeen ? modelledSeen : null;
    const extra = options.exclude ? exclusionOnModelled(options.exclude, modelled) : null;
    return this.scoreRows(users.length, k, (q0, rows) => {
      const exclude: Exclusion[] = [];
      const chunk = users.subarray(q0, q0 + rows);
      if (seen) exclude.push({ csr: seen, rows: chunk });
      if (extra) exclude.push({ csr: extra, rows: rangeFrom(q0, rows) });
      return { histories: modelledUserItems, rows: chunk, exclude };
    });
  }

  async recommendForHistories(
    histories: readonly UserHistory[],
    k: number,
    options: { exclude?: CsrMatrix } = {},
  ): Promise<TopK> {
    const { items, modelled } = this.need('recommendForHistories');
    checkK(k);
    const matrix = historyMatrix(histories, items.size);
    const positives = restrictToModelled(matrix, modelled);
    const seen = exclusionOnModelled(matrix, modelled);
    const extra = options.exclude ? exclusionOnModelled(options.exclude, modelled) : null;
    return this.scoreRows(histories.length, k, (q0, rows) => {
      const chunk = rangeFrom(q0, rows);
      const exclude: Exclusion[] = [{ csr: seen, rows: chunk }];
      if (extra) exclude.push({ csr: extra, rows: chunk });
      return { histories: positives, rows: chunk, exclude };
    });
  }

  /**
   * A history's scores for every item (its multi-hot row times B; 0 for items without a training positive):
   * EASE's fold-in needs no solve.
   */
  foldIn(history: UserHistory): Float32Array {
    const { items, modelled, weights } = this.need('foldIn');
    const positives = restrictToModelled(historyMatrix([history], items.size), modelled);
    const m = modelled.kept.length;
    const out = new Float32Array(items.size);
    if (m === 0) return out;
    const scores = tf.tidy(
      () =>
        tf
          .matMul(tf.tensor2d(multiHot(positives, Int32Array.of(0)), [1, m]), weights)
          .dataSync() as Float32Array,
    );
    modelled.kept.forEach((item, place) => (out[item] = scores[place] as number));
    return out;
  }

  /**
   * Item i's similar items are row i of B: what a history of i alone scores highest (the ranking
   * `recommendForHistories([{ items: [i] }])` gives), i itself left out.
   */
  async similarItems(items: Int32Array, k: number): Promise<TopK> {
    const { weights, items: encoder, modelled } = this.need('similarItems');
    checkK(k);
    checkIndices(items, encoder.size, 'item');
    const out = emptyTopK(items.length, k);
    // Items without a training positive have a zero row: no similar items (padding).
    const asked = Array.from(items.keys()).filter(
      (q) => (modelled.toKept[items[q] as number] as number) >= 0,
    );
    if (asked.length === 0 || k === 0) return out;
    const places = Int32Array.from(asked, (q) => modelled.toKept[items[q] as number] as number);
    const self: CsrMatrix = {
      nRows: places.length,
      nCols: modelled.kept.length,
      indptr: Int32Array.from({ length: places.length + 1 }, (_, i) => i),
      indices: places,
      values: new Float32Array(places.length).fill(1),
    };
    const rows = tf.tidy(
      () => tf.gatherND(weights, tf.tensor2d(places, [places.length, 1], 'int32')) as Tensor2D,
    );
    try {
      const top = await topKExcluding(rows, k, { csr: self });
      asked.forEach((q, r) => copyRow(top, r, out, q, modelled.kept));
      return out;
    } finally {
      rows.dispose();
    }
  }

  getState(): ModelState {
    const { userItems, weights, lambda, modelled } = this.need('getState');
    const m = modelled.kept.length;
    return {
      kind: this.kind,
      formatVersion: FORMAT_VERSION,
      hyperparameters: { ...this.hyperparameters },
      arrays: {
        weights: { data: weights.dataSync() as Float32Array, shape: [m, m] },
        modelledItems: { data: modelled.kept, shape: [m] },
        ...csrToState('userItems', userItems),
      },
      info: { lambda },
    };
  }

  /**
   * Multi-hot history -> Dense(items) whose kernel is B over the whole catalogue (zero rows and columns for
   * the items without a training positive): the artifact any TF.js user can run as is.
   */
  scoringModel(): ScoringModel {
    const { weights, items, modelled } = this.need('scoringModel');
    const n = items.size;
    const m = modelled.kept.length;
    const b = weights.dataSync() as Float32Array;
    const full = new Float32Array(n * n);
    for (let r = 0; r < m; r++) {
      const offset = (modelled.kept[r] as number) * n;
      for (let c = 0; c < m; c++) full[offset + (modelled.kept[c] as number)] = b[r * m + c] as number;
    }
    return itemItemScoringModel(full, n);
  }

  /** Rebuilds a fitted model from `getState()` output (header and hyperparameters checked) and the encoders. */
  static fromState(
    hyperparameters: EaseHyperparameters,
    state: ModelState,
    encoders: { users: IdEncoder; items: IdEncoder },
  ): EaseModel {
    const n = encoders.items.size;
    const kept = arrayOf(state, 'modelledItems', 'int32');
    const m = kept.length;
    const data = arrayOf(state, 'weights', 'float32');
    if (data.length !== m * m) {
      throw new ArtifactIntegrityError(
        'ease state',
        `weights hold ${data.length} values for ${m} x ${m} items`,
      );
    }
    const toKept = new Int32Array(n).fill(-1);
    kept.forEach((item, place) => {
      if (!(item >= 0 && item < n) || (place > 0 && item <= (kept[place - 1] as number))) {
        throw new ArtifactIntegrityError(
          'ease state',
          `modelled item ${item} is out of range or out of order`,
        );
      }
      toKept[item] = place;
    });
    const modelled = { kept, toKept };
    const userItems = csrFromState(state, 'userItems', encoders.users.size, n);
    const lambda = typeof state.info?.lambda === 'number' ? state.info.lambda : hyperparameters.lambda;
    const model = new EaseModel(hyperparameters);
    model.setFitted({
      ...encoders,
      userItems,
      modelled,
      modelledUserItems: restrictToModelled(userItems, modelled),
      modelledSeen: exclusionOnModelled(userItems, modelled),
      weights: tf.tensor2d(data, [m, m]),
      lambda,
    });
    return model;
  }

  protected override release(fitted: Fitted): void {
    fitted.weights.dispose();
  }

  /** Scores query rows block by block (history rows times B) and keeps each row's top k. */
  private async scoreRows(
    count: number,
    k: number,
    block: (q0: number, rows: number) => { histories: CsrMatrix; rows: Int32Array; exclude: Exclusion[] },
  ): Promise<TopK> {
    const { weights, modelled } = this.need();
    const m = weights.shape[0];
    const out = emptyTopK(count, k);
    const step = ROWS_PER_BLOCK(m);
    for (let q0 = 0; q0 < count && k > 0 && m > 0; q0 += step) {
      const rows = Math.min(step, count - q0);
      const { histories, rows: which, exclude } = block(q0, rows);
      const scores = historyScores(weights, histories, which);
      try {
        const top = await topKExcluding(scores, k, exclude);
        for (let r = 0; r < rows; r++) copyRow(top, r, out, q0 + r, modelled.kept);
      } finally {
        scores.dispose();
      }
    }
    return out;
  }
}

/**
 * Scores of history rows `rows` of a binary CSR (on the modelled places): the sum of B's rows over each
 * history's items, by sparseSegmentSum. |history| x m additions per row instead of the dense multi-hot matMul's
 * 2 m^2 (on the ml-1m interactions: 3.7e9 against 1.7e11 flops for every user).
 */
function historyScores(weights: Tensor2D, histories: CsrMatrix, rows: Int32Array): Tensor2D {
  const m = weights.shape[0];
  let nnz = 0;
  for (const r of rows) nnz += (histories.indptr[r + 1] as number) - (histories.indptr[r] as number);
  if (nnz === 0) return tf.zeros([rows.length, m]) as Tensor2D;
  const indices = new Int32Array(nnz);
  const segments = new Int32Array(nnz);
  let p = 0;
  rows.forEach((r, q) => {
    for (let e = histories.indptr[r] as number; e < (histories.indptr[r + 1] as number); e++, p++) {
      indices[p] = histories.indices[e] as number;
      segments[p] = q;
    }
  });
  return tf.tidy(() => {
    const sums = tf.sparse.sparseSegmentSum(
      weights,
      tf.tensor1d(indices, 'int32'),
      tf.tensor1d(segments, 'int32'),
    );
    // Trailing rows without items get no segment: pad them with zeros.
    const missing = rows.length - (sums.shape[0] as number);
    return (
      missing > 0
        ? tf.pad(sums, [
            [0, missing],
            [0, 0],
          ])
        : sums
    ) as Tensor2D;
  });
}

/** Row `from` of a TopK over modelled places into row `to` of `out`, as full item indices. */
function copyRow(top: TopK, from: number, out: TopK, to: number, kept: Int32Array): void {
  for (let j = 0; j < top.k; j++) {
    const place = top.ids[from * top.k + j] as number;
    if (place < 0) break;
    out.ids[to * out.k + j] = kept[place] as number;
    out.scores[to * out.k + j] = top.scores[from * top.k + j] as number;
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
