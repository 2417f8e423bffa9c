import { describe, expect, it } from 'vitest';
import { buildCsr } from '../../src/dataset/csr.js';
import { createIdEncoder } from '../../src/dataset/encoder.js';
import {
  DEFAULT_HISTORY_POLICY,
  historyPolicyFrom,
  prepareHistory,
  sameAsTraining,
} from '../../src/serving/history.js';
import type { RatedMovie } from '../../src/serving/ports.js';

const items = createIdEncoder([10, 20, 30, 40]);
const rated = (movieId: number, rating: number | null): RatedMovie => ({ movieId, rating, ratedAt: null });

describe('historyPolicyFrom', () => {
  it('reads the training record and falls back to the seed protocol field by field', () => {
    expect(historyPolicyFrom(null)).toEqual(DEFAULT_HISTORY_POLICY);
    expect(historyPolicyFrom({ threshold: 'none', weighting: 'linear', alpha: 2, plusOne: true })).toEqual({
      threshold: 'none',
      weighting: 'linear',
      alpha: 2,
      eps: 1,
      plusOne: true,
    });
    expect(historyPolicyFrom({ weighting: 'bogus', alpha: -3 })).toEqual(DEFAULT_HISTORY_POLICY);
  });
});

describe('prepareHistory', () => {
  it('keeps positives as training did, excludes every rated movie, and ignores movies the model lacks', () => {
    const history = prepareHistory(
      [rated(30, 5), rated(10, 2), rated(99, 5), rated(20, 4)],
      items,
      DEFAULT_HISTORY_POLICY,
    );
    expect([...history.rated].sort((a, b) => a - b)).toEqual([10, 20, 30, 99]);
    expect([...history.ratedDense]).toEqual([0, 1, 2]);
    expect([...history.positives!.items]).toEqual([1, 2]);
    expect([...history.positives!.values!]).toEqual([1, 1]);
  });

  it('weights values the way the artifact says training did', () => {
    const history = prepareHistory([rated(10, 4), rated(20, 1)], items, {
      ...DEFAULT_HISTORY_POLICY,
      threshold: 'none',
      weighting: 'linear',
      alpha: 2,
      plusOne: true,
    });
    expect([...history.positives!.values!]).toEqual([9, 3]);
  });

  it('treats implicit rows (no rating) as positives and reports a cold user as having none', () => {
    expect([...prepareHistory([rated(40, null)], items, DEFAULT_HISTORY_POLICY).positives!.items]).toEqual([
      3,
    ]);
    expect(prepareHistory([rated(10, 1)], items, DEFAULT_HISTORY_POLICY).positives).toBeNull();
    expect(prepareHistory([], items, DEFAULT_HISTORY_POLICY).positives).toBeNull();
  });
});

describe('sameAsTraining', () => {
  it('compares a user row of the seen matrix with the current rated items', () => {
    const seen = buildCsr(2, 4, Int32Array.of(0, 0, 1), Int32Array.of(3, 1, 2));
    expect(sameAsTraining(seen, 0, Int32Array.of(1, 3))).toBe(true);
    expect(sameAsTraining(seen, 0, Int32Array.of(1, 2, 3))).toBe(false);
    expect(sameAsTraining(seen, 0, Int32Array.of(1, 2))).toBe(false);
    expect(sameAsTraining(seen, 1, Int32Array.of(2))).toBe(true);
  });
});
