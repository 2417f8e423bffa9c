import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { applyConfidence, confidenceValues, trainingMatrix } from '../../src/dataset/confidence.js';
import { historyOf, interactionsFromRatings } from '../../src/dataset/interactions.js';
import { SEED_PROTOCOL, splitInteractions } from '../../src/dataset/splits.js';
import { readUData, toRatingsTable } from './ml100k.js';

const rows100k = readUData();
const all = interactionsFromRatings(toRatingsTable(rows100k));
const implicit = interactionsFromRatings(toRatingsTable(rows100k, false, false));

describe('confidence weightings', () => {
  const small = interactionsFromRatings({
    length: 3,
    userId: Int32Array.of(1, 1, 2),
    movieId: Int32Array.of(1, 2, 1),
    rating: Float32Array.of(1, 4, 5),
    timestamp: null,
  });

  it('computes binary, linear, 1 + linear, log and raw ratings', () => {
    expect(Array.from(confidenceValues(small, { weighting: 'binary' }))).toEqual([1, 1, 1]);
    expect(Array.from(confidenceValues(small, { weighting: 'linear', alpha: 2 }))).toEqual([2, 8, 10]);
    expect(Array.from(confidenceValues(small, { weighting: 'linear', alpha: 2, plusOne: true }))).toEqual([
      3, 9, 11,
    ]);
    expect(Array.from(confidenceValues(small, { weighting: 'rating' }))).toEqual([1, 4, 5]);
    const log = confidenceValues(small, { weighting: 'log', alpha: 3, eps: 0.5 });
    [1, 4, 5].forEach((r, k) => expect(log[k]).toBeCloseTo(1 + 3 * Math.log(1 + r / 0.5), 5));
  });

  it('applies a threshold before weighting, aligned with the kept interactions', () => {
    const { interactions, values } = applyConfidence(small, { weighting: 'linear', alpha: 1, threshold: 4 });
    expect(Array.from(interactions.rating!)).toEqual([4, 5]);
    expect(Array.from(values)).toEqual([4, 5]);
    expect(interactions.users).toBe(small.users);
  });

  it('names the option that implicit-only data cannot honour', () => {
    expect(() => applyConfidence(implicit, { threshold: 4 })).toThrow(ValidationError);
    expect(() => applyConfidence(implicit, { threshold: 4 })).toThrow(/^threshold: /);
    expect(() => applyConfidence(implicit, { weighting: 'log' })).toThrow(/^weighting: /);
    expect(Array.from(applyConfidence(implicit, { threshold: 'none' }).values.subarray(0, 3))).toEqual([
      1, 1, 1,
    ]);
  });

  it('rejects bad parameters by name', () => {
    expect(() => confidenceValues(small, { weighting: 'linear', alpha: 0 })).toThrow(/^alpha: /);
    expect(() => confidenceValues(small, { weighting: 'log', eps: -1 })).toThrow(/^eps: /);
    expect(() => confidenceValues(small, { weighting: 'cubic' as 'binary' })).toThrow(/^weighting: /);
    expect(() => applyConfidence(small, { threshold: Number.NaN })).toThrow(/^threshold: /);
  });
});

describe('trainingMatrix on the seed protocol', () => {
  it('holds the train positives (rating >= 4) of each user as ones, over the dataset encoders', () => {
    const split = splitInteractions(all, SEED_PROTOCOL);
    const train = trainingMatrix(split.train, { weighting: 'binary', threshold: 4 });
    expect(train.users).toBe(all.users);
    expect(train.items).toBe(all.items);
    expect(train.userItems.nRows).toBe(943);
    expect(train.userItems.nCols).toBe(1682);
    let positives = 0;
    for (let k = 0; k < split.train.user.length; k++) if (split.train.rating![k]! >= 4) positives++;
    expect(train.userItems.indices.length).toBe(positives);
    expect(train.userItems.values.every((v) => v === 1)).toBe(true);
    const user = all.users.toDense(1);
    const testItems = new Set<number>();
    for (let k = 0; k < split.test.user.length; k++)
      if (split.test.user[k] === user) testItems.add(split.test.item[k]!);
    for (const item of historyOf(train.userItems, user).items) expect(testItems.has(item)).toBe(false);
  });
});
