import { describe, expect, it } from 'vitest';
import {
  averagePrecisionAtK,
  catalogCoverage,
  hitRateAtK,
  meanOverUsers,
  meanPopularity,
  ndcgAtK,
  novelty,
  precisionAtK,
  rankingMetrics,
  recallAtK,
  reciprocalRankAtK,
  type RankingMetricName,
} from '../../src/eval/metrics.js';

/**
 * The `rating_true` / `rating_pred` fixture of recommenders-team/recommenders
 * (tests/unit/recommenders/evaluation/conftest.py, MIT), rebuilt: every rated item in `rating_true` is
 * relevant; each user's ranked list is their `rating_pred` items sorted by prediction, descending. Their
 * test_python_evaluation.py expects at k=10: ndcg 0.38172, map 0.23613, precision 0.26666, recall 0.37777.
 * Their map_at_k divides each user's AP by min(|relevant|, k) (ours too); in this fixture no user has more
 * than 10 relevant items, so the older "divide by |relevant|" MAP gives the same figure.
 */
function recommendersFixture(): { ranked: number[]; relevant: Set<number> }[] {
  const trueUser = [1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 1, 1];
  const trueItem = [3, 1, 4, 5, 6, 7, 2, 5, 6, 8, 9, 10, 11, 12, 13, 14, 1, 2];
  const predUser = [1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 1, 1];
  const predItem = [12, 10, 3, 5, 11, 13, 4, 10, 7, 13, 1, 3, 5, 2, 11, 14, 3, 10];
  const prediction = [12, 14, 13, 12, 11, 10, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 14, 13];
  return [1, 2, 3].map((user) => {
    const relevant = new Set(trueItem.filter((_, i) => trueUser[i] === user));
    const ranked = predItem
      .map((item, i) => ({ item, score: prediction[i] as number, user: predUser[i] }))
      .filter((p) => p.user === user)
      .sort((a, b) => b.score - a.score)
      .map((p) => p.item);
    return { ranked, relevant };
  });
}

describe('ranking metrics on reference vectors', () => {
  const relevant = new Set([1, 2, 3]);

  it('score a perfect ranking 1 (precision: when k equals the number of relevant items)', () => {
    for (const fn of [recallAtK, averagePrecisionAtK, ndcgAtK, reciprocalRankAtK, hitRateAtK]) {
      expect(fn([3, 1, 2, 7, 8], relevant, 10)).toBeCloseTo(1, 12);
    }
    expect(precisionAtK([3, 1, 2], relevant, 3)).toBe(1);
  });

  it('score a list with no hits 0', () => {
    const metrics = rankingMetrics([7, 8, 9, 10], relevant, 10);
    for (const value of Object.values(metrics)) expect(value).toBe(0);
  });

  it('define an empty relevant set as 0 for every metric', () => {
    const metrics = rankingMetrics([1, 2, 3], new Set(), 10);
    for (const value of Object.values(metrics)) expect(value).toBe(0);
  });

  it('divide precision by k, recall by |relevant|, AP by min(|relevant|, k)', () => {
    expect(precisionAtK([1, 9], relevant, 10)).toBeCloseTo(0.1, 12);
    expect(recallAtK([1, 9], relevant, 10)).toBeCloseTo(1 / 3, 12);
    // Hits at ranks 1 and 3: (1/1 + 2/3) / min(3, 10).
    expect(averagePrecisionAtK([1, 9, 2], relevant, 10)).toBeCloseTo((1 + 2 / 3) / 3, 12);
    // With k = 2 < |relevant| the denominator is k: a list with both places right scores 1.
    expect(averagePrecisionAtK([1, 2], relevant, 2)).toBeCloseTo(1, 12);
  });

  it('use binary gain and a log2 discount for NDCG, ideal over min(|relevant|, k) places', () => {
    expect(ndcgAtK([9, 1], new Set([1]), 10)).toBeCloseTo(1 / Math.log2(3), 12);
    const ideal2 = 1 + 1 / Math.log2(3);
    expect(ndcgAtK([9, 1, 2], relevant, 2)).toBeCloseTo(1 / Math.log2(3) / ideal2, 12);
  });

  it('take the reciprocal rank of the first hit within k only', () => {
    expect(reciprocalRankAtK([9, 8, 1, 2], relevant, 10)).toBeCloseTo(1 / 3, 12);
    expect(reciprocalRankAtK([9, 8, 1], relevant, 2)).toBe(0);
    expect(hitRateAtK([9, 8, 1], relevant, 3)).toBe(1);
    expect(hitRateAtK([9, 8, 1], relevant, 2)).toBe(0);
  });

  it('ignore padding ids and count places beyond the list as misses', () => {
    expect(precisionAtK([1, -1, -1], relevant, 3)).toBeCloseTo(1 / 3, 12);
    expect(ndcgAtK([-1, 1], new Set([1]), 2)).toBeCloseTo(1 / Math.log2(3), 12);
  });

  it('refuse a k that is not a positive integer', () => {
    expect(() => precisionAtK([1], relevant, 0)).toThrow(RangeError);
    expect(() => ndcgAtK([1], relevant, 2.5)).toThrow(RangeError);
  });
});

describe('the recommenders library fixture (rating_true / rating_pred)', () => {
  const users = recommendersFixture();
  const mean = (name: RankingMetricName): number =>
    meanOverUsers(users.map((u) => rankingMetrics(u.ranked, u.relevant, 10)))[name];

  it('gives their published figures at k = 10', () => {
    expect(mean('ndcg')).toBeCloseTo(0.38172, 4);
    expect(mean('map')).toBeCloseTo(0.23613, 4);
    expect(mean('precision')).toBeCloseTo(0.26666, 4);
    expect(mean('recall')).toBeCloseTo(0.37777, 4);
  });

  it('scores 1 when each list is the user own relevant items (their perfect-ranking case)', () => {
    const perfect = users.map((u) => rankingMetrics([...u.relevant], u.relevant, 10));
    const m = meanOverUsers(perfect);
    expect(m.ndcg).toBeCloseTo(1, 12);
    expect(m.map).toBeCloseTo(1, 12);
    expect(m.recall).toBeCloseTo(1, 12);
    // Their precision for this case is 0.6: users 1 and 2 have fewer than 10 relevant items.
    expect(m.precision).toBeCloseTo(0.6, 12);
  });
});

describe('aggregates over users', () => {
  it('averages per-user records key by key', () => {
    expect(
      meanOverUsers([
        { ndcg: 1, recall: 0.5 },
        { ndcg: 0, recall: 0.25 },
      ]),
    ).toEqual({
      ndcg: 0.5,
      recall: 0.375,
    });
    expect(meanOverUsers([])).toEqual({});
  });

  it('counts distinct recommended items in the first k for coverage', () => {
    expect(
      catalogCoverage(
        [
          [1, 2, 5],
          [2, 3, -1],
        ],
        10,
        2,
      ),
    ).toBeCloseTo(0.3, 12);
    expect(catalogCoverage([Int32Array.from([0, 1])], 2, 5)).toBe(1);
  });

  it('averages the popularity of recommended items and measures novelty in bits', () => {
    const popularity = Float64Array.from([10, 2, 0]);
    expect(
      meanPopularity(
        [
          [0, 1],
          [1, -1],
        ],
        popularity,
        2,
      ),
    ).toBeCloseTo(14 / 3, 12);
    expect(meanPopularity([], popularity, 2)).toBe(0);
    expect(novelty([[0]], Float64Array.from([1]), 4, 1)).toBeCloseTo(2, 12);
    expect(novelty([[2]], popularity, 8, 1)).toBeCloseTo(3, 12);
  });
});
