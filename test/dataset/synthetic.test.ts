import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { interactionsToCsr } from '../../src/dataset/csr.js';
import { countPerItem, countPerUser, interactionsFromRatings } from '../../src/dataset/interactions.js';
import { SEED_PROTOCOL, splitInteractions } from '../../src/dataset/splits.js';
import { SYNTHETIC_GENRES } from '../../src/dataset/synthetic-catalog.js';
import {
  generateSyntheticDataset,
  type SyntheticOptions,
  type SyntheticTruth,
} from '../../src/dataset/synthetic.js';
import type { Interactions } from '../../src/dataset/types.js';

const BASE: SyntheticOptions = { users: 2000, items: 1500, interactions: 150_000, seed: 11 };
const data = generateSyntheticDataset({ ...BASE, withUsers: true });
const ratings = data.tables.ratings;
const all = interactionsFromRatings(ratings);

/** The planted score x_u . y_i of dense (user, item) of some interactions, or its centered (taste) part. */
function plantedScorer(truth: SyntheticTruth, interactions: Interactions) {
  const f = truth.factors;
  const userRow = Int32Array.from(interactions.users.rawIds, (id) => truth.userIds.indexOf(id));
  const itemRow = Int32Array.from(interactions.items.rawIds, (id) => truth.itemIds.indexOf(id));
  return (u: number, i: number, centered = false): number => {
    let s = 0;
    for (let k = centered ? 1 : 0; k < f; k++) {
      s += truth.userFactors[userRow[u]! * f + k]! * truth.itemFactors[itemRow[i]! * f + k]!;
    }
    return s;
  };
}
const plantedScore = plantedScorer(data.truth, all);

describe('generateSyntheticDataset', () => {
  it('makes exactly the requested interactions, every user at least once, no pair twice', () => {
    expect(ratings.length).toBe(150_000);
    expect(all.users.size).toBe(2000);
    expect(Array.from(all.users.rawIds.subarray(0, 3))).toEqual([1, 2, 3]);
    const userItems = interactionsToCsr(all);
    let repeats = 0;
    for (let u = 0; u < userItems.nRows; u++) {
      for (let k = userItems.indptr[u]! + 1; k < userItems.indptr[u + 1]!; k++) {
        if (userItems.indices[k]! <= userItems.indices[k - 1]!) repeats++;
      }
    }
    expect(repeats).toBe(0);
    const movieIds = new Set(data.tables.movies.map((m) => m.movieId));
    expect(movieIds.size).toBe(1500);
    for (const id of all.items.rawIds) expect(movieIds.has(id)).toBe(true);
  });

  it('is identical for one seed and different for another', () => {
    const again = generateSyntheticDataset({ ...BASE, withUsers: true });
    expect(again.tables.ratings).toEqual(ratings);
    expect(again.tables.movies).toEqual(data.tables.movies);
    expect(again.tables.users).toEqual(data.tables.users);
    expect(again.truth.userFactors).toEqual(data.truth.userFactors);
    const other = generateSyntheticDataset({ ...BASE, seed: 12 });
    expect(other.tables.ratings.movieId).not.toEqual(ratings.movieId);
  });

  it('has power-law activity and popularity', () => {
    const perUser = Array.from(countPerUser(all)).sort((a, b) => a - b);
    const perItem = Array.from(countPerItem(all)).sort((a, b) => b - a);
    const median = perUser[1000]!;
    expect(perUser[0]).toBeGreaterThanOrEqual(20);
    expect(perUser[1999]! / median).toBeGreaterThan(8);
    // Uniform popularity would give the top 10% of movies 10% of ratings; MovieLens gives them 40-50%.
    const top = perItem.slice(0, 150).reduce((a, b) => a + b, 0) / 150_000;
    expect(top).toBeGreaterThan(0.35);
  });

  it('draws ratings from the planted taste with the stated noise', () => {
    // RMSE of rating against the clipped planted score: noise 0.5 plus rounding to stars (variance 1/12).
    let squared = 0;
    for (let k = 0; k < ratings.length; k++) {
      const r = ratings.rating![k]!;
      if (!(Number.isInteger(r) && r >= 1 && r <= 5)) throw new Error(`rating ${r} is not a star`);
      const planted = Math.min(5, Math.max(1, plantedScore(all.user[k]!, all.item[k]!)));
      squared += (r - planted) ** 2;
    }
    const rmse = Math.sqrt(squared / ratings.length);
    expect(rmse).toBeGreaterThan(0.45);
    expect(rmse).toBeLessThan(Math.sqrt(0.25 + 1 / 12) + 0.05);
    const exact = generateSyntheticDataset({
      ...BASE,
      interactions: 20_000,
      ratingNoise: 0,
      ratingScale: 'half-stars',
    });
    const exactAll = interactionsFromRatings(exact.tables.ratings);
    const exactScore = plantedScorer(exact.truth, exactAll);
    expect(exactAll.items.size).toBeLessThan(1500); // some movies unrated: dense index != factor row
    let worst = 0;
    for (let k = 0; k < exactAll.user.length; k++) {
      const s = exactScore(exactAll.user[k]!, exactAll.item[k]!);
      const r = exact.tables.ratings.rating![k]!;
      worst = Math.max(worst, Math.abs(r - Math.min(5, Math.max(0.5, s))));
      if (r * 2 !== Math.round(r * 2)) throw new Error(`rating ${r} is not a half star`);
    }
    expect(worst).toBeLessThanOrEqual(0.25 + 1e-6);
  });

  it('lets users rate movies they like more often than chance', () => {
    let chosen = 0;
    for (let k = 0; k < 20_000; k++) chosen += plantedScore(all.user[k]!, all.item[k]!, true);
    let random = 0;
    for (let k = 0; k < 20_000; k++) random += plantedScore(k % 2000, (k * 7919) % 1500, true);
    expect(chosen / 20_000 - random / 20_000).toBeGreaterThan(0.2);
  });

  it('gives each user strictly increasing timestamps, which the temporal split can use', () => {
    const ts = ratings.timestamp!;
    let backwards = 0;
    for (let k = 1; k < ratings.length; k++) {
      if (ratings.userId[k] === ratings.userId[k - 1] && ts[k]! <= ts[k - 1]!) backwards++;
    }
    expect(backwards).toBe(0);
    const split = splitInteractions(all, SEED_PROTOCOL);
    expect(split.report.usersHeldOut).toBe(2000);
    expect(split.report.sizes.test + split.report.dropped.test).toBe(10_000);
  });

  it('writes MovieLens-looking movies and users that latin-1 formats can hold', () => {
    for (const movie of data.tables.movies) {
      expect(movie.title.endsWith(`(${movie.year})`)).toBe(true);
      expect(Buffer.from(movie.title, 'latin1').toString('latin1')).toBe(movie.title);
      expect(movie.genres.length).toBeGreaterThan(0);
      for (const g of movie.genres) expect(SYNTHETIC_GENRES).toContain(g);
    }
    const users = data.tables.users!;
    expect(users.length).toBe(2000);
    expect(users[0]).toMatchObject({ userId: 1 });
    expect(new Set(users.map((u) => u.age))).toEqual(new Set([1, 18, 25, 35, 45, 50, 56]));
    expect(generateSyntheticDataset({ ...BASE, interactions: 5000 }).tables.users).toBeNull();
  });

  it('fills a dense catalogue exactly (heavy users take the exponential-key path)', () => {
    const dense = generateSyntheticDataset({ users: 50, items: 40, interactions: 1500, seed: 3 });
    const counts = countPerUser(interactionsFromRatings(dense.tables.ratings));
    expect(Array.from(counts).every((c) => c === 30)).toBe(true);
    const full = interactionsFromRatings(
      generateSyntheticDataset({ users: 7, items: 9, interactions: 63, seed: 3 }).tables.ratings,
    );
    expect(interactionsToCsr(full).indices).toEqual(Int32Array.from({ length: 63 }, (_, k) => k % 9));
  });

  it('names the option that is out of range', () => {
    const bad = (patch: Partial<SyntheticOptions>) => () => generateSyntheticDataset({ ...BASE, ...patch });
    expect(bad({ users: 0 })).toThrow(ValidationError);
    expect(bad({ users: 1.5 })).toThrow(/^users: /);
    expect(bad({ interactions: 10 })).toThrow(/^interactions: must be >= users/);
    expect(bad({ interactions: 2000 * 1500 + 1 })).toThrow(/^interactions: must be <= users \* items/);
    expect(bad({ ratingNoise: -1 })).toThrow(/^ratingNoise: /);
    expect(bad({ ratingScale: 'tenths' as 'stars' })).toThrow(/^ratingScale: /);
    expect(bad({ seed: Number.NaN })).toThrow(/^seed: /);
  });
});
