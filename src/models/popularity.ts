/**
 * The non-personalized baseline: every user gets the items with the most positive interactions in the
 * training matrix, minus what they have already seen. It is also the cold-start fallback for users without
 * a usable history (the evaluator and the serving layer call it for them).
 */
import { z } from 'zod';
import { ArtifactIntegrityError } from '../core/errors.js';
import { emptyTopK, type TopK } from '../core/types.js';
import type { CsrMatrix, IdEncoder } from '../dataset/types.js';
import { defineModel, RecommenderBase } from './base.js';
import { checkIndices, checkK, markItems, markRow } from './ranking.js';
import { constantScoringModel } from './scoring-models.js';
import { arrayOf, csrFromState, csrToState } from './state.js';
import type {
  FitOptions,
  FitReport,
  ModelState,
  RecommendOptions,
  ScoringModel,
  TrainingMatrix,
  UserHistory,
} from './types.js';

/** Popularity has no hyperparameters. */
export type PopularityHyperparameters = Record<string, never>;

const FORMAT_VERSION = 1;
const schema = z.object({}).strict();

interface Fitted {
  users: IdEncoder;
  items: IdEncoder;
  /** The training matrix (for seen-item exclusion after a load). */
  userItems: CsrMatrix;
  /** Positive interactions per item. */
  counts: Float32Array;
  /** Items by count descending, ties by lower index: every ranking walks this order. */
  order: Int32Array;
}

/**
 * Items by popularity. `recommend` is O(k + |excluded|) per user since all users share one ranking.
 * @example const model = popularityFactory.create(); await model.fit(train); await model.recommend(users, 10);
 */
export class PopularityModel extends RecommenderBase<PopularityHyperparameters, Fitted> {
  readonly kind = 'popularity' as const;

  /** Positive interactions per item of the training data (a copy). */
  get counts(): Float32Array {
    return this.need().counts.slice();
  }

  async fit(train: TrainingMatrix, options: FitOptions = {}): Promise<FitReport> {
    const started = performance.now();
    const { userItems } = train;
    const counts = new Float32Array(userItems.nCols);
    for (let p = 0; p < userItems.indices.length; p++) {
      if ((userItems.values[p] as number) > 0) counts[userItems.indices[p] as number]! += 1;
    }
    this.setFitted({ users: train.users, items: train.items, userItems, counts, order: rankByCount(counts) });
    const seconds = (performance.now() - started) / 1000;
    const epoch = { iteration: 1, iterations: 1, seconds };
    options.onEpoch?.(epoch);
    return { seconds, epochs: [epoch] };
  }

  async recommend(users: Int32Array, k: number, options: RecommendOptions = {}): Promise<TopK> {
    const fitted = this.need();
    checkK(k);
    const excludeSeen = options.excludeSeen ?? true;
    const mask = new Uint8Array(fitted.counts.length);
    const out = emptyTopK(users.length, k);
    for (let q = 0; q < users.length; q++) {
      const user = users[q] as number;
      if (!(user >= 0 && user < fitted.userItems.nRows)) {
        throw new RangeError(`user index ${user} outside 0..${fitted.userItems.nRows - 1}`);
      }
      if (excludeSeen) markRow(mask, fitted.userItems, user, 1);
      markRow(mask, options.exclude, q, 1);
      this.fillRow(out, q, mask);
      if (excludeSeen) markRow(mask, fitted.userItems, user, 0);
      markRow(mask, options.exclude, q, 0);
    }
    return out;
  }

  async recommendForHistories(
    histories: readonly UserHistory[],
    k: number,
    options: { exclude?: CsrMatrix } = {},
  ): Promise<TopK> {
    const fitted = this.need();
    checkK(k);
    const mask = new Uint8Array(fitted.counts.length);
    const out = emptyTopK(histories.length, k);
    histories.forEach((history, q) => {
      checkIndices(history.items, mask.length, 'item');
      markItems(mask, history.items, 1);
      markRow(mask, options.exclude, q, 1);
      this.fillRow(out, q, mask);
      markItems(mask, history.items, 0);
      markRow(mask, options.exclude, q, 0);
    });
    return out;
  }

  /**
   * Popularity knows nothing of item content: the "similar" items of any item are the most popular other
   * items (what a new visitor is shown), scored by their counts.
   */
  async similarItems(items: Int32Array, k: number): Promise<TopK> {
    const fitted = this.need();
    checkK(k);
    checkIndices(items, fitted.counts.length, 'item');
    const mask = new Uint8Array(fitted.counts.length);
    const out = emptyTopK(items.length, k);
    for (let q = 0; q < items.length; q++) {
      const item = items[q] as number;
      mask[item] = 1;
      this.fillRow(out, q, mask);
      mask[item] = 0;
    }
    return out;
  }

  getState(): ModelState {
    const fitted = this.need();
    return {
      kind: this.kind,
      formatVersion: FORMAT_VERSION,
      hyperparameters: {},
      arrays: {
        counts: { data: fitted.counts, shape: [fitted.counts.length] },
        ...csrToState('userItems', fitted.userItems),
      },
    };
  }

  /** Every user gets the same scores: the counts, as a dense layer's bias over a zero kernel. */
  scoringModel(): ScoringModel {
    return constantScoringModel(this.need('scoringModel').counts);
  }

  /** Rebuilds a fitted model from `getState()` output (header already checked) and the encoders. */
  static fromState(state: ModelState, encoders: { users: IdEncoder; items: IdEncoder }): PopularityModel {
    const counts = arrayOf(state, 'counts', 'float32');
    const userItems = csrFromState(state, 'userItems', encoders.users.size, encoders.items.size);
    if (counts.length !== encoders.items.size) {
      throw new ArtifactIntegrityError(
        'popularity state',
        `it has ${counts.length} counts for ${encoders.items.size} items`,
      );
    }
    const model = new PopularityModel({});
    model.setFitted({
      users: encoders.users,
      items: encoders.items,
      userItems,
      counts,
      order: rankByCount(counts),
    });
    return model;
  }

  /** Writes the first k unmasked items of the popularity order into row q. */
  private fillRow(out: TopK, q: number, mask: Uint8Array): void {
    const { order, counts } = this.need();
    let place = 0;
    for (let r = 0; r < order.length && place < out.k; r++) {
      const item = order[r] as number;
      if (mask[item] === 1) continue;
      out.ids[q * out.k + place] = item;
      out.scores[q * out.k + place] = counts[item] as number;
      place++;
    }
  }
}

function rankByCount(counts: Float32Array): Int32Array {
  const order = Int32Array.from({ length: counts.length }, (_, i) => i);
  // Int32Array#sort with a comparator is stable, so equal counts stay in index order.
  return order.sort((a, b) => (counts[b] as number) - (counts[a] as number));
}

/**
 * The registry's popularity factory.
 * @example const model = popularityFactory.create(); await model.fit(train);
 */
export const popularityFactory = defineModel({
  kind: 'popularity',
  description: 'most positive interactions in training; the baseline and the cold-start fallback',
  schema,
  formatVersion: FORMAT_VERSION,
  create: () => new PopularityModel({}),
  restore: (_h, state, encoders) => PopularityModel.fromState(state, encoders),
});
