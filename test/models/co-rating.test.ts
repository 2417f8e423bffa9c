import { describe, expect, it } from 'vitest';
import { topKRow } from '../../src/core/types.js';
import { buildCsr } from '../../src/dataset/csr.js';
import { CoRatingIndex } from '../../src/models/co-rating.js';

/**
 * Five users x five items: item 0 is rated by everyone, item 1 by three users, item 2 by two, items 3 and 4 by
 * one each (both of those raters also rated item 0).
 */
const ROWS: number[][] = [
  [0, 1, 2],
  [0, 1],
  [0, 1, 3],
  [0, 2],
  [0, 4],
];
function matrix(value = 1) {
  const rows = ROWS.flatMap((items, u) => items.map(() => u));
  const cols = ROWS.flat();
  return buildCsr(
    5,
    5,
    Int32Array.from(rows),
    Int32Array.from(cols),
    new Float32Array(cols.length).fill(value),
  );
}

describe('CoRatingIndex', () => {
  it('with no shrinkage and support 1 it is the cosine of the binary item vectors (ties by lower index)', () => {
    const top = new CoRatingIndex(matrix(), { shrinkage: 0, minSupport: 1 }).similarItems(
      Int32Array.of(0),
      4,
    );
    const row = topKRow(top, 0);
    expect(row.ids).toEqual([1, 2, 3, 4]);
    [3 / Math.sqrt(15), 2 / Math.sqrt(10), 1 / Math.sqrt(5), 1 / Math.sqrt(5)].forEach((s, j) =>
      expect(row.scores[j]).toBeCloseTo(s, 6),
    );
  });

  it('shrinks by n / (n + shrinkage) and never answers pairs co-rated by fewer than minSupport users', () => {
    const index = new CoRatingIndex(matrix(), { shrinkage: 20, minSupport: 2 });
    const top = index.similarItems(Int32Array.of(0, 3), 3);
    const first = topKRow(top, 0);
    expect(first.ids).toEqual([1, 2]);
    expect(first.scores[0]).toBeCloseTo((3 / Math.sqrt(15)) * (3 / 23), 6);
    expect(first.scores[1]).toBeCloseTo((2 / Math.sqrt(10)) * (2 / 22), 6);
    // Item 3's one rater makes every pair of it support 1: nothing reaches the minimum, the row is padding.
    expect(Array.from(top.ids.subarray(3, 6))).toEqual([-1, -1, -1]);
    expect(
      topKRow(new CoRatingIndex(matrix(), { minSupport: 1 }).similarItems(Int32Array.of(3), 3), 0).ids,
    ).toEqual([1, 0]);
  });

  it('defaults to shrinkage 20 and support 2, reads only the pattern, and checks its inputs', () => {
    const byDefault = new CoRatingIndex(matrix()).similarItems(Int32Array.of(0, 1, 2), 2);
    const explicit = new CoRatingIndex(matrix(), { shrinkage: 20, minSupport: 2 }).similarItems(
      Int32Array.of(0, 1, 2),
      2,
    );
    expect(byDefault).toEqual(explicit);
    expect(new CoRatingIndex(matrix(4.5)).similarItems(Int32Array.of(0, 1, 2), 2)).toEqual(byDefault);
    const index = new CoRatingIndex(matrix(), { shrinkage: 0, minSupport: 1 });
    // Cached lists answer later calls at any k with the same prefix.
    const deep = index.similarItems(Int32Array.of(0, 0), 4);
    expect(index.similarItems(Int32Array.of(0), 2)).toEqual({
      ids: deep.ids.slice(0, 2),
      scores: deep.scores.slice(0, 2),
      k: 2,
    });
    expect(index.similarItems(Int32Array.of(0), 200).ids.slice(0, 5)).toEqual(Int32Array.of(1, 2, 3, 4, -1));
    expect(() => index.similarItems(Int32Array.of(5), 2)).toThrow(RangeError);
    expect(() => index.similarItems(Int32Array.of(0), 0)).toThrow(RangeError);
    expect(() => new CoRatingIndex(matrix(), { minSupport: 0 })).toThrow(RangeError);
  });
});
