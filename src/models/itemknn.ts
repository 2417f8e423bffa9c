/**
 * Item-kNN: cosine (or tf-idf / BM25 weighted) item-item similarity pruned to each item's top-N neighbours;
 * a user's score for an item is the similarity-weighted sum over their history,
 * score(u, j) = sum over i in history(u) of value(u, i) * sim(i, j). Unreachable items score 0 and rank after
 * every reachable one (ties by lower index).
 */
import { z } from 'zod';
import { emptyTopK, type TopK } from '../core/types.js';
import { transposeCsr } from '../dataset/csr.js';
import type { CsrMatrix, IdEncoder } from '../dataset/types.js';
import { defineModel, RecommenderBase } from './base.js';
import { ITEM_WEIGHTINGS, topNeighbours, weightItemVectors } from './itemknn-similarity.js';
import { checkIndices, checkK, markItems, markRow, selectTopK } from './ranking.js';
import { itemItemScoringModel } from './scoring-models.js';
import { csrFromState, csrToState } from './state.js';
import type {
  FitOptions,
  FitReport,
  ModelState,
  RecommendOptions,
  ScoringModel,
  TrainingMatrix,
  UserHistory,
} from './types.js';

const FORMAT_VERSION = 1;

const schema = z
  .object({
    /** Neighbours kept per item (200 in the seed project). */
    neighbours: z.coerce.number().int().min(1).default(200),
    weighting: z.enum(ITEM_WEIGHTINGS).default('cosine'),
    /** BM25's term-frequency saturation (implicit's default). */
    bm25K1: z.coerce.number().positive().default(1.2),
    /** BM25's length normalization in [0, 1]. */
    bm25B: z.coerce.number().min(0).max(1).default(0.75),
    /**
     * Similarities scaled by n / (n + shrinkage), n the pair's co-rating count (0: off, the seed's cosine).
     * 20 with minSupport 2 is what similar movies measured best with (docs/benchmarks.md).
     */
    shrinkage: z.coerce.number().min(0).default(0),
    /** Pairs co-rated by fewer users are never neighbours (1: every pair). */
    minSupport: z.coerce.number().int().min(1).default(1),
  })
  .strict();

export type ItemKnnHyperparameters = z.output<typeof schema>;

interface Fitted {
  users: IdEncoder;
  items: IdEncoder;
  /** The training matrix: users' histories (with their values) and seen items. */
  userItems: CsrMatrix;
  /** Pruned item x item similarity, columns ascending. */
  similarity: CsrMatrix;
}

/**
 * Item-kNN over a pruned similarity matrix.
 * @example const model = itemKnnFactory.create({ neighbours: 100 }); await model.fit(train);
 */
export class ItemKnnModel extends RecommenderBase<ItemKnnHyperparameters, Fitted> {
  readonly kind = 'itemknn' as const;

  /** The pruned similarity matrix (item x item, columns ascending). */
  get similarity(): CsrMatrix {
    return this.need().similarity;
  }

  async fit(train: TrainingMatrix, options: FitOptions = {}): Promise<FitReport> {
    const started = performance.now();
    const h = this.hyperparameters;
    const vectors = weightItemVectors(transposeCsr(train.userItems), h.weighting, {
      k1: h.bm25K1,
      b: h.bm25B,
    });
    const similarity = await topNeighbours(vectors, h.neighbours, {
      shrinkage: h.shrinkage,
      minSupport: h.minSupport,
      onProgress: options.onProgress,
      signal: options.signal,
    });
    this.setFitted({ users: train.users, items: train.items, userItems: train.userItems, similarity });
    const seconds = (performance.now() - started) / 1000;
    const epoch = { iteration: 1, iterations: 1, seconds };
    options.onEpoch?.(epoch);
    return { seconds, epochs: [epoch] };
  }

  async recommend(users: Int32Array, k: number, options: RecommendOptions = {}): Promise<TopK> {
    const { userItems } = this.need();
    checkK(k);
    const excludeSeen = options.excludeSeen ?? true;
    const nItems = userItems.nCols;
    const scores = new Float64Array(nItems);
    const mask = new Uint8Array(nItems);
    const out = emptyTopK(users.length, k);
    for (let q = 0; q < users.length; q++) {
      const user = users[q] as number;
      if (!(user >= 0 && user < userItems.nRows)) {
        throw new RangeError(`user index ${user} outside 0..${userItems.nRows - 1}`);
      }
      const start = userItems.indptr[user] as number;
      const end = userItems.indptr[user + 1] as number;
      this.accumulate(scores, userItems.indices.subarray(start, end), userItems.values.subarray(start, end));
      if (excludeSeen) markRow(mask, userItems, user, 1);
      markRow(mask, options.exclude, q, 1);
      selectTopK(scores, mask, out, q);
      if (excludeSeen) markRow(mask, userItems, user, 0);
      markRow(mask, options.exclude, q, 0);
      scores.fill(0);
    }
    return out;
  }

  async recommendForHistories(
    histories: readonly UserHistory[],
    k: number,
    options: { exclude?: CsrMatrix } = {},
  ): Promise<TopK> {
    const { similarity } = this.need();
    checkK(k);
    const nItems = similarity.nRows;
    const scores = new Float64Array(nItems);
    const mask = new Uint8Array(nItems);
    const out = emptyTopK(histories.length, k);
    histories.forEach((history, q) => {
      checkIndices(history.items, nItems, 'item');
      if (history.values && history.values.length !== history.items.length) {
        throw new RangeError(
          `history ${q} has ${history.values.length} values for ${history.items.length} items`,
        );
      }
      this.accumulate(scores, history.items, history.values);
      markItems(mask, history.items, 1);
      markRow(mask, options.exclude, q, 1);
      selectTopK(scores, mask, out, q);
      markItems(mask, history.items, 0);
      markRow(mask, options.exclude, q, 0);
      scores.fill(0);
    });
    return out;
  }

  async similarItems(items: Int32Array, k: number): Promise<TopK> {
    const { similarity } = this.need();
    checkK(k);
    checkIndices(items, similarity.nRows, 'item');
    const out = emptyTopK(items.length, k);
    for (let q = 0; q < items.length; q++) {
      const item = items[q] as number;
      const start = similarity.indptr[item] as number;
      const end = similarity.indptr[item + 1] as number;
      const ranked = Array.from({ length: end - start }, (_, j) => start + j).sort(
        (a, b) =>
          (similarity.values[b] as number) - (similarity.values[a] as number) ||
          (similarity.indices[a] as number) - (similarity.indices[b] as number),
      );
      for (let place = 0; place < Math.min(k, ranked.length); place++) {
        const p = ranked[place] as number;
        out.ids[q * k + place] = similarity.indices[p] as number;
        out.scores[q * k + place] = similarity.values[p] as number;
      }
    }
    return out;
  }

  getState(): ModelState {
    const { userItems, similarity } = this.need();
    return {
      kind: this.kind,
      formatVersion: FORMAT_VERSION,
      hyperparameters: { ...this.hyperparameters },
      arrays: { ...csrToState('similarity', similarity), ...csrToState('userItems', userItems) },
    };
  }

  /**
   * Multi-hot history -> dense layer whose kernel is the pruned similarity (row = history item), so predict
   * gives the same sums as `recommendForHistories`. The kernel is dense: items^2 floats.
   */
  scoringModel(): ScoringModel {
    const { similarity } = this.need('scoringModel');
    const n = similarity.nRows;
    const dense = new Float32Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let p = similarity.indptr[i] as number; p < (similarity.indptr[i + 1] as number); p++) {
        dense[i * n + (similarity.indices[p] as number)] = similarity.values[p] as number;
      }
    }
    return itemItemScoringModel(dense, n);
  }

  /** Rebuilds a fitted model from `getState()` output (header and hyperparameters checked) and the encoders. */
  static fromState(
    hyperparameters: ItemKnnHyperparameters,
    state: ModelState,
    encoders: { users: IdEncoder; items: IdEncoder },
  ): ItemKnnModel {
    const nItems = encoders.items.size;
    const model = new ItemKnnModel(hyperparameters);
    model.setFitted({
      users: encoders.users,
      items: encoders.items,
      userItems: csrFromState(state, 'userItems', encoders.users.size, nItems),
      similarity: csrFromState(state, 'similarity', nItems, nItems),
    });
    return model;
  }

  /** Adds value(i) * sim(i, j) into scores[j] for every history item i and neighbour j. */
  private accumulate(
    scores: Float64Array,
    items: ArrayLike<number>,
    values: ArrayLike<number> | undefined,
  ): void {
    const { indptr, indices, values: sims } = this.need().similarity;
    for (let h = 0; h < items.length; h++) {
      const item = items[h] as number;
      const weight = values ? (values[h] as number) : 1;
      const end = indptr[item + 1] as number;
      for (let p = indptr[item] as number; p < end; p++) {
        scores[indices[p] as number]! += weight * (sims[p] as number);
      }
    }
  }
}

/**
 * The registry's item-kNN factory.
 * @example const model = itemKnnFactory.create({ weighting: 'bm25' }); await model.fit(train);
 */
export const itemKnnFactory = defineModel({
  kind: 'itemknn',
  description: 'item-item cosine (or tf-idf / BM25) similarity, top-N neighbours per item',
  schema,
  formatVersion: FORMAT_VERSION,
  create: (hyperparameters) => new ItemKnnModel(hyperparameters),
  restore: (hyperparameters, state, encoders) => ItemKnnModel.fromState(hyperparameters, state, encoders),
});
