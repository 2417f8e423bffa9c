import { ValidationError } from '../core/errors.js';
import { createRng, shuffleInPlace, type Rng } from '../core/rng.js';
import type { DatasetTables } from '../data/schema.js';
import { syntheticMovies, syntheticUsers } from './synthetic-catalog.js';
import {
  buildAliasTable,
  drawAlias,
  powerLawCounts,
  sampleWithoutReplacement,
  type AliasTable,
} from './synthetic-sampling.js';

/**
 * MovieLens-shaped synthetic data of any size, for scale tests and benchmarks.
 *
 * The model, so tests can check what a learner recovers:
 * - Taste is planted low-rank: user factors x_u and item factors y_i (`factors` columns, row-major). Column 0
 *   is a positive per-user / per-item level (x_u0 * y_i0 is about 3.3 with a spread, like rating biases);
 *   the other columns are centered taste whose dot product has a standard deviation of about 0.9.
 * - Rating = round(x_u . y_i + ratingNoise * N(0, 1)) to whole (1..5) or half stars (0.5..5), clipped.
 * - Which movies a user rates: drawn without replacement with probability proportional to a Zipf-like
 *   popularity (rank^-1.1, ranks shuffled over ids) times sigmoid(1.5 * centered taste), so users mostly rate
 *   popular movies they like, and mean ratings sit above the scale's middle, as in MovieLens.
 * - Activity is power-law (min + Pareto(1.8) extras, at most 60% of the catalogue per user); every user rates
 *   at least min(20, a quarter of the mean) movies. No (user, movie) pair repeats.
 * - Timestamps increase strictly within each user (rated in the order drawn), inside a session of random
 *   length that starts uniformly between 1995-01-09 and 2019-11-21 (ml-25m's span).
 * Rows come out grouped by user (ids 1..users), each user's in time order. Memory is typed arrays only:
 * 20 bytes per interaction plus a few arrays of the catalogue's size.
 */

export interface SyntheticOptions {
  users: number;
  items: number;
  interactions: number;
  /** Rank of the planted taste, >= 1 (default 8). */
  factors?: number;
  /** Standard deviation of the Gaussian rating noise before rounding (default 0.5). */
  ratingNoise?: number;
  /** Whole stars 1..5 (ml-100k, ml-1m) or half stars 0.5..5 (ml-10m and later). Default 'stars'. */
  ratingScale?: 'stars' | 'half-stars';
  /** Also generate a users table (gender, age, occupation, zip). Default false. */
  withUsers?: boolean;
  seed: number;
}

export interface SyntheticTruth {
  /** users x factors, row-major; row u is the user `userIds[u]` (= u + 1). */
  userFactors: Float32Array;
  /** items x factors, row-major; row i is the movie `itemIds[i]` (= `tables.movies[i].movieId`). */
  itemFactors: Float32Array;
  /** Raw user id of each row of userFactors. Map to an encoder's dense index with `users.toDense(id)`. */
  userIds: Int32Array;
  /** Raw movie id of each row of itemFactors (movies nobody rated are absent from a dataset's encoder). */
  itemIds: Int32Array;
  factors: number;
  ratingNoise: number;
}

export interface SyntheticDataset {
  tables: DatasetTables;
  truth: SyntheticTruth;
}

const LEVEL = 3.3;
const TASTE_STD = 0.9;
const TASTE_SHARPNESS = 1.5;
const POPULARITY_EXPONENT = 1.3;
const POPULARITY_OFFSET = 30;
const ACTIVITY_SHAPE = 1.8;
const MAX_CATALOGUE_SHARE = 0.6;
const FIRST_TIME = 789_652_009;
const LAST_TIME = 1_574_327_703;

/**
 * Generates a dataset with planted taste.
 * @example const { tables, truth } = generateSyntheticDataset({ users: 1000, items: 500, interactions: 50_000, seed: 1 });
 */
export function generateSyntheticDataset(options: SyntheticOptions): SyntheticDataset {
  const { users, items, interactions, seed } = options;
  const factors = options.factors ?? 8;
  const ratingNoise = options.ratingNoise ?? 0.5;
  const scale = options.ratingScale ?? 'stars';
  validate(options, factors, ratingNoise, scale);
  const rng = createRng(seed);
  const movies = syntheticMovies(items, rng.fork(1));
  const { userFactors, itemFactors } = plantFactors(users, items, factors, rng.fork(2));
  const cap = Math.min(
    items,
    Math.max(Math.floor(items * MAX_CATALOGUE_SHARE), Math.ceil(interactions / users)),
  );
  const min = Math.min(cap, Math.max(1, Math.min(20, Math.floor(interactions / users / 4))));
  const counts = powerLawCounts(users, interactions, { min, cap }, ACTIVITY_SHAPE, rng.fork(3));
  const popularity = zipfPopularity(items, rng.fork(4));

  const userId = new Int32Array(interactions);
  const movieId = new Int32Array(interactions);
  const rating = new Float32Array(interactions);
  const timestamp = new Float64Array(interactions);
  const sampler = createUserSampler(popularity, userFactors, itemFactors, factors);
  const pickRng = rng.fork(5);
  const ratingRng = rng.fork(6);
  const timeRng = rng.fork(7);
  const gaps = new Float64Array(cap + 1);
  const half = scale === 'half-stars';
  const movieIds = Int32Array.from(movies, (m) => m.movieId);
  let row = 0;
  for (let u = 0; u < users; u++) {
    const chosen = sampler.pick(u, counts[u] as number, pickRng);
    sessionTimes(chosen.length, timeRng, gaps, timestamp, row);
    for (let k = 0; k < chosen.length; k++, row++) {
      const i = chosen[k] as number;
      userId[row] = u + 1;
      movieId[row] = movieIds[i] as number;
      const raw = dot(userFactors, u, itemFactors, i, factors) + ratingNoise * ratingRng.normal();
      rating[row] = half ? clamp(Math.round(raw * 2) / 2, 0.5, 5) : clamp(Math.round(raw), 1, 5);
    }
  }
  return {
    tables: {
      ratings: { length: interactions, userId, movieId, rating, timestamp },
      movies,
      users: options.withUsers ? syntheticUsers(users, rng.fork(8)) : null,
    },
    truth: {
      userFactors,
      itemFactors,
      userIds: Int32Array.from({ length: users }, (_, u) => u + 1),
      itemIds: movieIds,
      factors,
      ratingNoise,
    },
  };
}

function validate(options: SyntheticOptions, factors: number, ratingNoise: number, scale: string): void {
  const { users, items, interactions, seed } = options;
  const positiveInteger = (field: string, v: number, max = 2 ** 31 - 1) => {
    if (!(Number.isInteger(v) && v >= 1 && v <= max)) {
      throw new ValidationError(field, `must be an integer in 1..${max}, got ${String(v)}`);
    }
  };
  positiveInteger('users', users);
  positiveInteger('items', items);
  positiveInteger('interactions', interactions);
  positiveInteger('factors', factors, 1024);
  if (interactions < users) {
    throw new ValidationError(
      'interactions',
      `must be >= users (${users}): every user rates at least one movie`,
    );
  }
  if (interactions > users * items) {
    throw new ValidationError(
      'interactions',
      `must be <= users * items (${users * items}): pairs do not repeat`,
    );
  }
  if (!(Number.isFinite(ratingNoise) && ratingNoise >= 0)) {
    throw new ValidationError('ratingNoise', `must be >= 0, got ${String(ratingNoise)}`);
  }
  if (scale !== 'stars' && scale !== 'half-stars') {
    throw new ValidationError('ratingScale', `must be 'stars' or 'half-stars', got '${scale}'`);
  }
  if (!Number.isInteger(seed)) throw new ValidationError('seed', `must be an integer, got ${String(seed)}`);
}

function plantFactors(users: number, items: number, f: number, rng: Rng) {
  // Centered columns with variance s^2 each: the dot of (f - 1) of them has variance (f - 1) s^4 = TASTE_STD^2.
  const s = f > 1 ? Math.pow((TASTE_STD * TASTE_STD) / (f - 1), 0.25) : 0;
  const fill = (n: number, levelSpread: number): Float32Array => {
    const out = new Float32Array(n * f);
    for (let r = 0; r < n; r++) {
      out[r * f] = Math.sqrt(LEVEL) * Math.exp(levelSpread * rng.normal());
      for (let k = 1; k < f; k++) out[r * f + k] = s * rng.normal();
    }
    return out;
  };
  return { userFactors: fill(users, 0.1), itemFactors: fill(items, 0.12) };
}

/** Zipf-Mandelbrot weights (rank + offset)^-exponent, ranks shuffled so popularity is not tied to id. */
function zipfPopularity(items: number, rng: Rng): Float64Array {
  const rank = shuffleInPlace(
    Int32Array.from({ length: items }, (_, k) => k),
    rng,
  );
  const weights = new Float64Array(items);
  for (let i = 0; i < items; i++)
    weights[i] = Math.pow((rank[i] as number) + POPULARITY_OFFSET, -POPULARITY_EXPONENT);
  return weights;
}

/**
 * Picks each user's movies: rejection sampling (popularity draw, then accept with the taste probability),
 * which is fast while the user's picks are a small part of the catalogue; heavy users, or users whose draws
 * keep hitting movies already picked, finish with exponential-key sampling over the movies left. Both draw
 * from the same law: sequential sampling with weight popularity * acceptance.
 */
function createUserSampler(
  popularity: Float64Array,
  userFactors: Float32Array,
  itemFactors: Float32Array,
  f: number,
) {
  const items = popularity.length;
  const alias: AliasTable = buildAliasTable(popularity);
  const mark = new Int32Array(items);
  const scratch = new Int32Array(items);
  const acceptance = (u: number, i: number): number =>
    1 /
    (1 +
      Math.exp(
        -TASTE_SHARPNESS *
          (dot(userFactors, u, itemFactors, i, f) - userFactors[u * f]! * itemFactors[i * f]!),
      ));
  return {
    pick(u: number, count: number, rng: Rng): Int32Array {
      const stamp = u + 1;
      let got = 0;
      if (count <= items / 8) {
        const budget = 6 * count + 64;
        for (let tries = 0; got < count && tries < budget; tries++) {
          const i = drawAlias(alias, rng);
          if (mark[i] === stamp || rng.next() >= acceptance(u, i)) continue;
          mark[i] = stamp;
          scratch[got++] = i;
        }
      }
      if (got < count) {
        let n = 0;
        const candidates = new Int32Array(items - got);
        const weights = new Float64Array(items - got);
        for (let i = 0; i < items; i++) {
          if (mark[i] === stamp) continue;
          candidates[n] = i;
          weights[n++] = (popularity[i] as number) * acceptance(u, i);
        }
        const rest = sampleWithoutReplacement(candidates, weights, count - got, rng);
        for (const i of rest) {
          mark[i] = stamp;
          scratch[got++] = i;
        }
      }
      return scratch.subarray(0, got);
    },
  };
}

/** Strictly increasing timestamps for one user's `n` ratings into `out[offset ..]`. */
function sessionTimes(n: number, rng: Rng, gaps: Float64Array, out: Float64Array, offset: number): void {
  const start = FIRST_TIME + Math.floor(rng.next() * (LAST_TIME - FIRST_TIME - 86_400));
  // Session length: log-normal around three days, from minutes to years.
  const wanted = Math.exp(Math.log(3 * 86_400) + 2 * rng.normal());
  const span = Math.max(0, Math.min(wanted, LAST_TIME - start - n));
  let total = 0;
  for (let k = 0; k < n; k++) {
    gaps[k] = total;
    total += -Math.log(1 - rng.next());
  }
  for (let k = 0; k < n; k++) out[offset + k] = start + k + Math.floor((span * (gaps[k] as number)) / total);
}

function dot(a: Float32Array, row: number, b: Float32Array, col: number, f: number): number {
  let s = 0;
  for (let k = 0, pa = row * f, pb = col * f; k < f; k++) s += (a[pa + k] as number) * (b[pb + k] as number);
  return s;
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
