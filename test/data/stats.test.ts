import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../src/data/catalog.js';
import { readSourceDataset } from '../../src/data/readers/source.js';
import { computeDatasetStats, formatStatsTable, quantile } from '../../src/data/stats.js';
import { SHARED } from './fixtures.js';

describe('quantile', () => {
  it('interpolates linearly between order statistics (numpy default)', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4], 0.25)).toBe(1.75);
    expect(quantile([10], 0.99)).toBe(10);
    expect(quantile([0, 100], 0.9)).toBeCloseTo(90, 10);
  });
});

describe('computeDatasetStats', () => {
  it('counts, sparsity, histogram, activity and long tail on a table small enough to check by hand', () => {
    // user 1 rates movies 1..4, user 2 rates 1..2, user 3 rates 1: movie 1 has 3 ratings, 2 has 2, 3 and 4 one.
    const stats = computeDatasetStats({
      ratings: {
        length: 7,
        userId: Int32Array.of(1, 1, 1, 1, 2, 2, 3),
        movieId: Int32Array.of(1, 2, 3, 4, 1, 2, 1),
        rating: Float32Array.of(5, 4, 4, 1, 3.5, 4, 5),
        timestamp: Float64Array.of(50, 10, 20, 30, 40, 60, 70),
      },
    });
    expect(stats).toMatchObject({
      ratings: 7,
      users: 3,
      items: 4,
      movies: null,
      timeRange: { first: 10, last: 70 },
    });
    expect(stats.sparsity).toBeCloseTo(1 - 7 / 12, 12);
    expect(stats.ratingHistogram).toEqual([
      { rating: 1, count: 1 },
      { rating: 3.5, count: 1 },
      { rating: 4, count: 3 },
      { rating: 5, count: 2 },
    ]);
    expect(stats.userActivity).toMatchObject({ min: 1, p50: 2, max: 4, mean: 7 / 3 });
    expect(stats.itemActivity).toMatchObject({ min: 1, p25: 1, p50: 1.5, p75: 2.25, max: 3 });
    // top 10% of 4 items rounds up to 1 item: movie 1 with 3 of 7 ratings
    expect(stats.longTailShare).toBeCloseTo(3 / 7, 12);
  });

  it('ml-100k: the histogram of MANIFEST.md, and activity figures recomputed independently', async () => {
    const { tables } = await readSourceDataset(CATALOG['ml-100k'], path.join(SHARED, 'ml-100k'));
    const stats = computeDatasetStats(tables);
    expect(stats.ratingHistogram).toEqual([
      { rating: 1, count: 6110 },
      { rating: 2, count: 11370 },
      { rating: 3, count: 27145 },
      { rating: 4, count: 34174 },
      { rating: 5, count: 21201 },
    ]);
    expect(stats.timeRange).toEqual({ first: 874724710, last: 893286638 });
    expect(stats.sparsity).toBeCloseTo(1 - 100_000 / (943 * 1682), 12);
    const perItem = new Map<number, number>();
    for (const m of tables.ratings.movieId) perItem.set(m, (perItem.get(m) ?? 0) + 1);
    const counts = [...perItem.values()].sort((a, b) => b - a);
    const top = counts.slice(0, Math.ceil(counts.length / 10)).reduce((a, b) => a + b, 0);
    expect(stats.longTailShare).toBeCloseTo(top / 100_000, 12);
    expect(stats.itemActivity.max).toBe(counts[0]);
    expect(stats.userActivity.min).toBe(20); // the README: each user has rated at least 20 movies
    const table = formatStatsTable('ml-100k', stats);
    expect(table).toMatch(/^ratings\s+100,000$/m);
    expect(table).toMatch(/^\s+4\.0\s+34,174\s+34\.2%$/m);
  });
});
