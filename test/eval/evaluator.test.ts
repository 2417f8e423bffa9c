import { describe, expect, it } from 'vitest';
import { createIdEncoder } from '../../src/dataset/encoder.js';
import type { Interactions } from '../../src/dataset/types.js';
import { evaluateRecommender, prepareEvaluation, rowsOf } from '../../src/eval/evaluator.js';
import { buildCsr } from '../../src/dataset/csr.js';
import { itemKnnFactory } from '../../src/models/itemknn.js';
import { popularityFactory } from '../../src/models/popularity.js';
import { tensorsLeakedBy } from '../support/backends.js';

const users = createIdEncoder([1, 2, 3, 4]);
const items = createIdEncoder([10, 20, 30, 40, 50]);

function interactions(rows: [number, number, number][]): Interactions {
  return {
    users,
    items,
    user: Int32Array.from(rows.map((r) => r[0])),
    item: Int32Array.from(rows.map((r) => r[1])),
    rating: Float32Array.from(rows.map((r) => r[2])),
    timestamp: null,
  };
}

// Dense users 0..3, items 0..4, as (user, item, rating). User 0 rated item 1 badly (seen, not positive);
// user 3 has no positive in train (fallback); user 1's test rating is not a positive (not evaluated).
const train = interactions([
  [0, 0, 5],
  [0, 1, 2],
  [1, 0, 5],
  [1, 1, 5],
  [1, 2, 4],
  [2, 1, 4],
  [2, 2, 5],
  [3, 3, 2],
]);
const test = interactions([
  [0, 2, 5],
  [1, 3, 3],
  [2, 0, 4],
  [3, 4, 5],
]);

describe('prepareEvaluation', () => {
  it('trains on binary positives, excludes every train rating and evaluates users with a test positive', () => {
    const prepared = prepareEvaluation(train, test);
    expect(prepared.train.userItems.indices.length).toBe(6);
    expect(Array.from(prepared.train.userItems.values)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(prepared.seen.indices.length).toBe(8);
    expect(Array.from(prepared.users)).toEqual([0, 2, 3]);
    expect(Array.from(prepared.noTrainPositive)).toEqual([0, 0, 0, 1]);
    expect(Array.from(prepared.itemPopularity)).toEqual([2, 2, 2, 0, 0]);
  });

  it("excludes only the train positives under the 'positives' policy", () => {
    expect(prepareEvaluation(train, test, { seen: 'positives' }).seen.indices.length).toBe(6);
  });

  it('treats every interaction of implicit-only data as a positive', () => {
    const implicit = (i: Interactions): Interactions => ({ ...i, rating: null });
    const prepared = prepareEvaluation(implicit(train), implicit(test));
    expect(prepared.train.userItems.indices.length).toBe(8);
    expect(Array.from(prepared.users)).toEqual([0, 1, 2, 3]);
    expect(prepared.noTrainPositive.every((v) => v === 0)).toBe(true);
  });
});

describe('evaluateRecommender', () => {
  it('scores popularity rankings by hand-computed figures, with rated-but-negative items excluded', async () => {
    const prepared = prepareEvaluation(train, test);
    const model = popularityFactory.create();
    await model.fit(prepared.train);
    const result = await evaluateRecommender(model, prepared, { k: 3, fallback: model });
    // Lists: user 0 [2, 3, 4] (hit at 1), user 2 [0, 3, 4] (hit at 1), user 3 [0, 1, 2] (miss).
    expect(result.metrics.ndcg).toBeCloseTo(2 / 3, 10);
    expect(result.metrics.recall).toBeCloseTo(2 / 3, 10);
    expect(result.metrics.precision).toBeCloseTo(2 / 9, 10);
    // Per-user NDCG 1, 1, 0: sample variance 1/3, standard error sqrt(1/3 / 3) = 1/3.
    expect(result.standardErrors.ndcg).toBeCloseTo(1 / 3, 10);
    expect(result.coverage).toBe(1);
    expect(result.meanPopularity).toBeCloseTo(10 / 9, 10);
    expect(result.usersEvaluated).toBe(3);
    expect(result.fallbackUsers).toBe(1);
  });

  it("lets a rated-but-negative item take a place under the 'positives' policy", async () => {
    const prepared = prepareEvaluation(train, test, { seen: 'positives' });
    const model = popularityFactory.create();
    await model.fit(prepared.train);
    const result = await evaluateRecommender(model, prepared, { k: 3 });
    // User 0 now gets [1, 2, 3]: the hit moves to rank 2.
    expect(result.metrics.ndcg).toBeCloseTo((1 / Math.log2(3) + 1 + 0) / 3, 10);
    expect(result.fallbackUsers).toBe(0);
  });

  it('sends users without a train positive to the fallback and counts them', async () => {
    const prepared = prepareEvaluation(train, test);
    const fallback = popularityFactory.create();
    await fallback.fit(prepared.train);
    const knn = itemKnnFactory.create();
    const leaked = await tensorsLeakedBy(async () => {
      await knn.fit(prepared.train);
      const alone = await evaluateRecommender(knn, prepared, { k: 4 });
      const withFallback = await evaluateRecommender(knn, prepared, { k: 4, fallback, batchSize: 1 });
      expect(withFallback.fallbackUsers).toBe(1);
      // Item-kNN has nothing to go on for user 3 (all scores 0: index order 0, 1, 2, 4); popularity ranks the
      // same here, so the fallback changes nothing but the count.
      expect(withFallback.metrics.ndcg).toBeCloseTo(alone.metrics.ndcg, 10);
      expect(withFallback.usersEvaluated).toBe(3);
      knn.dispose();
    });
    expect(leaked).toBe(0);
  });

  it('reports progress per batch of users', async () => {
    const prepared = prepareEvaluation(train, test);
    const model = popularityFactory.create();
    await model.fit(prepared.train);
    const done: number[] = [];
    await evaluateRecommender(model, prepared, { k: 2, batchSize: 2, onProgress: (e) => done.push(e.done) });
    expect(done).toEqual([2, 3]);
  });
});

describe('rowsOf', () => {
  it('gathers the requested rows in order, repeats allowed', () => {
    const m = buildCsr(3, 4, Int32Array.from([0, 1, 1, 2]), Int32Array.from([3, 0, 2, 1]));
    const sub = rowsOf(m, Int32Array.from([2, 1, 2]));
    expect(Array.from(sub.indptr)).toEqual([0, 1, 3, 4]);
    expect(Array.from(sub.indices)).toEqual([1, 0, 2, 1]);
  });
});
