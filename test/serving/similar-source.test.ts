import { describe, expect, it } from 'vitest';
import { topKRow } from '../../src/core/types.js';
import { buildCsr } from '../../src/dataset/csr.js';
import { createIdEncoder } from '../../src/dataset/encoder.js';
import { popularityFactory } from '../../src/models/popularity.js';
import { similarItemsOf } from '../../src/serving/similar-source.js';

/**
 * Six users x four movies. Movie 0 is the most popular (5 raters), so popularity's "similar" list for any
 * movie starts with it; movies 2 and 3 are rated together by users 3-5 and nowhere else, so co-ratings pair
 * them.
 */
const ROWS = [[0, 1], [0, 1], [0], [0, 2, 3], [0, 2, 3], [2, 3]];
const training = buildCsr(
  6,
  4,
  Int32Array.from(ROWS.flatMap((items, u) => items.map(() => u))),
  Int32Array.from(ROWS.flat()),
);

async function fittedPopularity() {
  const model = popularityFactory.create();
  await model.fit({
    userItems: training,
    users: createIdEncoder(Int32Array.from({ length: 6 }, (_, u) => u + 1)),
    items: createIdEncoder(Int32Array.of(10, 20, 30, 40)),
  });
  return model;
}

describe('similarItemsOf (what the service and recsys similar answer with)', () => {
  it("'co-rating' answers from the matrix the model was fit on, whatever the model", async () => {
    const model = await fittedPopularity();
    const top = await similarItemsOf(model, 'co-rating')(Int32Array.of(2), 3);
    // Movie 3 shares 3 raters with 2 (support 3); movie 0 shares 2; movie 1 none.
    expect(topKRow(top, 0).ids).toEqual([3, 0]);
    model.dispose();
  });

  it("'model' answers with the model's own similarItems", async () => {
    const model = await fittedPopularity();
    const own = topKRow(await model.similarItems(Int32Array.of(2), 3), 0).ids;
    expect(own[0]).toBe(0);
    expect(topKRow(await similarItemsOf(model, 'model')(Int32Array.of(2), 3), 0).ids).toEqual(own);
    // ... which here differs from the co-rating answer.
    expect(topKRow(await similarItemsOf(model, 'co-rating')(Int32Array.of(2), 3), 0).ids).not.toEqual(own);
    model.dispose();
  });
});
