import { describe, expect, it } from 'vitest';
import { ArtifactIntegrityError, ValidationError } from '../../src/core/errors.js';
import { topKRow } from '../../src/core/types.js';
import { buildCsr } from '../../src/dataset/csr.js';
import { createIdEncoder } from '../../src/dataset/encoder.js';
import type { PopularityModel } from '../../src/models/popularity.js';
import { popularityFactory } from '../../src/models/popularity.js';
import type { TrainingMatrix } from '../../src/models/types.js';

// users 0..3, items 0..4; item 2 has three positives, item 4 two, items 0 and 1 one each; user 3 has an
// explicit zero (a non-positive entry) on item 3 that must not count.
function small(): TrainingMatrix {
  const rows = Int32Array.from([0, 1, 2, 0, 1, 2, 3, 3]);
  const cols = Int32Array.from([2, 2, 2, 4, 4, 0, 1, 3]);
  const vals = Float32Array.from([1, 1, 1, 1, 1, 1, 1, 0]);
  return {
    userItems: buildCsr(4, 5, rows, cols, vals),
    users: createIdEncoder([10, 20, 30, 40]),
    items: createIdEncoder([100, 200, 300, 400, 500]),
  };
}

describe('popularity model', () => {
  it('counts positive interactions per item, ignoring non-positive values', async () => {
    const model = popularityFactory.create() as PopularityModel;
    await model.fit(small());
    expect(Array.from(model.counts)).toEqual([1, 1, 3, 0, 2]);
  });

  it('ranks by count with ties to the lower index, seen items left out', async () => {
    const model = popularityFactory.create();
    await model.fit(small());
    const top = await model.recommend(Int32Array.of(3, 0), 5);
    // user 3 has seen items 1 and 3 (the zero entry still counts as seen)
    expect(topKRow(top, 0)).toEqual({ ids: [2, 4, 0], scores: [3, 2, 1] });
    expect(topKRow(top, 1).ids).toEqual([0, 1, 3]);
    const withSeen = await model.recommend(Int32Array.of(0), 2, { excludeSeen: false });
    expect(topKRow(withSeen, 0).ids).toEqual([2, 4]);
  });

  it('serves a user without history (the cold-start fallback) the global ranking', async () => {
    const model = popularityFactory.create();
    await model.fit(small());
    const top = await model.recommendForHistories([{ items: new Int32Array(0) }], 3);
    expect(topKRow(top, 0).ids).toEqual([2, 4, 0]);
  });

  it('refuses hyperparameters, since it has none', () => {
    expect(popularityFactory.parseHyperparameters({})).toEqual({});
    expect(() => popularityFactory.parseHyperparameters({ factors: 8 })).toThrow(ValidationError);
    expect(() => popularityFactory.create({ alpha: 1 } as never)).toThrow(/unknown hyperparameter 'alpha'/);
  });

  it('refuses a state whose counts do not match the catalogue', async () => {
    const train = small();
    const model = popularityFactory.create();
    await model.fit(train);
    const state = model.getState();
    const counts = { data: new Float32Array(3), shape: [3] };
    expect(() =>
      popularityFactory.fromState({ ...state, arrays: { ...state.arrays, counts } }, train),
    ).toThrow(ArtifactIntegrityError);
  });

  it('refuses dense indices outside the training data', async () => {
    const model = popularityFactory.create();
    await model.fit(small());
    await expect(model.recommend(Int32Array.of(4), 2)).rejects.toThrow(RangeError);
    await expect(model.similarItems(Int32Array.of(-1), 2)).rejects.toThrow(RangeError);
  });
});
