import { describe, expect, it } from 'vitest';
import type { UserHistory } from '../../src/models/types.js';
import { prepareHistory, type PreparedHistory } from '../../src/serving/history.js';
import type { RatingValue, ServableModel } from '../../src/serving/ports.js';
import { createRankBatcher } from '../../src/serving/rank-batcher.js';
import { servablePopularity, TRAINING } from './support.js';

/** What the batcher takes for one request: the user's ratings as the model sees them. */
function historyOf(
  loaded: ServableModel,
  ratings: readonly RatingValue[],
): PreparedHistory & { positives: UserHistory } {
  const history = prepareHistory(ratings, loaded.model.items, loaded.historyPolicy);
  if (!history.positives) throw new Error('test histories need a positive');
  return { ...history, positives: history.positives };
}

/** Raw movie ids of a dense ranking. */
const raw = (loaded: ServableModel, items: number[]): number[] =>
  items.map((i) => loaded.model.items.toRaw(i));

describe('rank batcher', () => {
  it('ranks the requests of one event-loop turn in one model call, and the next turn in another', async () => {
    const { loaded, calls } = await servablePopularity('v1');
    const batcher = createRankBatcher(10);
    const changed = (user: number): RatingValue[] => [...(TRAINING[user] ?? []), { movieId: 110, rating: 5 }];
    const first = await Promise.all(
      [1, 2, 3].map((u) => batcher.rank(loaded, u, historyOf(loaded, changed(u)))),
    );
    expect(calls).toEqual([{ method: 'recommendForHistories', size: 3 }]);
    await batcher.rank(loaded, 4, historyOf(loaded, changed(4)));
    expect(calls).toEqual([
      { method: 'recommendForHistories', size: 3 },
      { method: 'recommendForHistories', size: 1 },
    ]);
    // Each request's own rated movies are left out of its answer, and only those.
    first.forEach((items, q) => {
      const rated = new Set(changed(q + 1).map((r) => r.movieId));
      expect(items).toHaveLength(10);
      expect(raw(loaded, items).filter((id) => rated.has(id))).toEqual([]);
    });
    expect(raw(loaded, first[1] as number[])).toContain(102); // user 2 did not rate 102
    expect(raw(loaded, first[0] as number[])).not.toContain(102); // user 1 did
  });

  it('cuts a turn into model calls of at most maxBatch requests', async () => {
    const { loaded, calls } = await servablePopularity('v1');
    const batcher = createRankBatcher(5, 2);
    const history = historyOf(loaded, [{ movieId: 120, rating: 5 }]);
    const answers = await Promise.all([1, 2, 3, 4, 1].map((u) => batcher.rank(loaded, u, history)));
    expect(calls.map((c) => c.size)).toEqual([2, 2, 1]);
    expect(answers).toHaveLength(5);
    for (const items of answers) expect(items).toEqual(answers[0]);
  });

  it("answers users whose ratings are training's from the trained model, and the others by fold-in", async () => {
    const { loaded, calls } = await servablePopularity('v1');
    const batcher = createRankBatcher(10);
    await Promise.all([
      batcher.rank(loaded, 1, historyOf(loaded, TRAINING[1] ?? [])), // as trained
      batcher.rank(loaded, 3, historyOf(loaded, TRAINING[3] ?? [])), // as trained
      batcher.rank(loaded, 2, historyOf(loaded, [...(TRAINING[2] ?? []), { movieId: 111, rating: 4 }])),
      batcher.rank(loaded, 99, historyOf(loaded, [{ movieId: 101, rating: 5 }])), // not a training user
    ]);
    expect(calls).toEqual([
      { method: 'recommend', size: 2 },
      { method: 'recommendForHistories', size: 2 },
    ]);
  });

  it('keeps the models of one turn apart, and a failed call rejects only its own batch', async () => {
    const a = await servablePopularity('a');
    const b = await servablePopularity('b');
    const failing = b.loaded.model.recommendForHistories.bind(b.loaded.model);
    b.loaded.model.recommendForHistories = async (...args) => {
      await failing(...args);
      throw new Error('scoring failed');
    };
    const batcher = createRankBatcher(5);
    const history = historyOf(a.loaded, [{ movieId: 125, rating: 5 }]);
    const results = await Promise.allSettled([
      batcher.rank(a.loaded, 1, history),
      batcher.rank(b.loaded, 1, history),
      batcher.rank(a.loaded, 2, history),
      batcher.rank(b.loaded, 2, history),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected']);
    expect(a.calls).toEqual([{ method: 'recommendForHistories', size: 2 }]);
    expect(b.calls).toEqual([{ method: 'recommendForHistories', size: 2 }]);
  });

  it('fails, rather than leaves hanging, the requests of a model that cannot even sort them', async () => {
    const { loaded } = await servablePopularity('gone');
    const history = historyOf(loaded, [{ movieId: 125, rating: 5 }]);
    loaded.model.dispose(); // its encoders throw now
    const batcher = createRankBatcher(5);
    await expect(batcher.rank(loaded, 1, history)).rejects.toThrow(/not fitted/);
  });
});
