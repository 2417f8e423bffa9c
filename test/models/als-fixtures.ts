/**
 * Seeded synthetic data for the ALS tests: generateSyntheticDataset's planted low-rank taste, encoded, with
 * one interaction per user held out, and the planted factors to measure the noise floor against.
 */
import { createRng } from '../../src/core/rng.js';
import { buildCsr } from '../../src/dataset/csr.js';
import { createIdEncoder, encodeAll } from '../../src/dataset/encoder.js';
import { generateSyntheticDataset } from '../../src/dataset/synthetic.js';
import type { CsrMatrix, IdEncoder } from '../../src/dataset/types.js';
import type { TrainingMatrix } from '../../src/models/types.js';

export interface AlsFixture {
  /** Values: 1 per interaction (implicit) or the rating (explicit). */
  train: TrainingMatrix;
  /** One held-out (user, item, rating) per user with at least 5 interactions. */
  heldOut: { user: Int32Array; item: Int32Array; rating: Float32Array };
  /** The planted model's prediction x_u . y_i for a dense (user, item). */
  truth: (user: number, item: number) => number;
}

export function syntheticFixture(options: {
  users: number;
  items: number;
  interactions: number;
  factors?: number;
  ratingNoise?: number;
  explicit?: boolean;
  seed: number;
}): AlsFixture {
  const { tables, truth } = generateSyntheticDataset({
    users: options.users,
    items: options.items,
    interactions: options.interactions,
    factors: options.factors ?? 4,
    ratingNoise: options.ratingNoise ?? 0.5,
    seed: options.seed,
  });
  const ratings = tables.ratings;
  const users = createIdEncoder(ratings.userId);
  const items = createIdEncoder(ratings.movieId);
  const user = encodeAll(users, ratings.userId);
  const item = encodeAll(items, ratings.movieId);
  const rating = ratings.rating ?? new Float32Array(ratings.length).fill(1);

  // Hold out one random interaction of each user with >= 5.
  const rng = createRng(options.seed + 1000);
  const byUser: number[][] = Array.from({ length: users.size }, () => []);
  for (let r = 0; r < ratings.length; r++) byUser[user[r] as number]!.push(r);
  const held = new Set<number>();
  for (const rows of byUser) if (rows.length >= 5) held.add(rows[rng.int(rows.length)] as number);
  const keep = Int32Array.from({ length: ratings.length }, (_, r) => r).filter((r) => !held.has(r));
  const heldRows = Int32Array.from(held).sort();
  const values = (rows: Int32Array) =>
    Float32Array.from(rows, (r) => (options.explicit ? (rating[r] as number) : 1));
  const userItems = buildCsr(
    users.size,
    items.size,
    Int32Array.from(keep, (r) => user[r] as number),
    Int32Array.from(keep, (r) => item[r] as number),
    values(keep),
  );

  const f = truth.factors;
  const truthItemRow = new Map(tables.movies.map((m, i) => [m.movieId, i]));
  const truthUserRow = (u: number) => users.toRaw(u) - 1;
  return {
    train: { userItems, users, items },
    heldOut: {
      user: Int32Array.from(heldRows, (r) => user[r] as number),
      item: Int32Array.from(heldRows, (r) => item[r] as number),
      rating: Float32Array.from(heldRows, (r) => rating[r] as number),
    },
    truth: (u, i) => {
      const ur = truthUserRow(u);
      const ir = truthItemRow.get(items.toRaw(i)) as number;
      let s = 0;
      for (let j = 0; j < f; j++)
        s += (truth.userFactors[ur * f + j] as number) * (truth.itemFactors[ir * f + j] as number);
      return s;
    },
  };
}

/**
 * Implicit low-rank data without a popularity skew: user and item factors ~ N(0, I_rank); each user picks
 * `perUser` distinct items with probability proportional to exp(sharpness * x_u . y_i / sqrt(rank)) (Gumbel
 * top-k), so which items a user takes is planted taste only. One pick per user is held out.
 */
export function lowRankImplicitFixture(options: {
  users: number;
  items: number;
  perUser: number;
  rank?: number;
  sharpness?: number;
  seed: number;
}): AlsFixture {
  const { users: nUsers, items: nItems, perUser } = options;
  const rank = options.rank ?? 4;
  const sharpness = options.sharpness ?? 3;
  const rng = createRng(options.seed);
  const x = Float64Array.from({ length: nUsers * rank }, () => rng.normal());
  const y = Float64Array.from({ length: nItems * rank }, () => rng.normal());
  const dot = (u: number, i: number) => {
    let s = 0;
    for (let j = 0; j < rank; j++) s += (x[u * rank + j] as number) * (y[i * rank + j] as number);
    return s / Math.sqrt(rank);
  };
  const rows: number[] = [];
  const cols: number[] = [];
  const heldUser: number[] = [];
  const heldItem: number[] = [];
  for (let u = 0; u < nUsers; u++) {
    const keyed = Array.from({ length: nItems }, (_, i) => ({
      i,
      key: sharpness * dot(u, i) - Math.log(-Math.log(Math.max(rng.next(), 1e-12))),
    }));
    keyed.sort((a, b) => b.key - a.key);
    const picks = keyed.slice(0, perUser).map((e) => e.i);
    const held = rng.int(picks.length);
    picks.forEach((i, j) => {
      if (j === held) {
        heldUser.push(u);
        heldItem.push(i);
      } else {
        rows.push(u);
        cols.push(i);
      }
    });
  }
  const users = createIdEncoder(Int32Array.from({ length: nUsers }, (_, u) => u + 1));
  const items = createIdEncoder(Int32Array.from({ length: nItems }, (_, i) => i + 1));
  return {
    train: {
      userItems: buildCsr(nUsers, nItems, Int32Array.from(rows), Int32Array.from(cols)),
      users,
      items,
    },
    heldOut: {
      user: Int32Array.from(heldUser),
      item: Int32Array.from(heldItem),
      rating: new Float32Array(heldUser.length).fill(1),
    },
    truth: dot,
  };
}

/** Share of held-out items found in each user's top-k (a TopK row per held-out user). */
export function hitRate(top: { ids: Int32Array; k: number }, heldItems: Int32Array): number {
  let hits = 0;
  for (let q = 0; q < heldItems.length; q++) {
    if (top.ids.subarray(q * top.k, (q + 1) * top.k).includes(heldItems[q] as number)) hits++;
  }
  return hits / heldItems.length;
}

/** Top-k by training popularity (count of interactions), seen items excluded, for each listed user. */
export function popularityTopK(userItems: CsrMatrix, users: Int32Array, k: number) {
  const counts = new Float64Array(userItems.nCols);
  for (const c of userItems.indices) counts[c]! += 1;
  const order = Array.from({ length: userItems.nCols }, (_, i) => i).sort(
    (a, b) => counts[b]! - counts[a]! || a - b,
  );
  const ids = new Int32Array(users.length * k).fill(-1);
  users.forEach((u, q) => {
    const seen = new Set(userItems.indices.subarray(userItems.indptr[u], userItems.indptr[u + 1]));
    let j = 0;
    for (const i of order) {
      if (j === k) break;
      if (!seen.has(i)) ids[q * k + j++] = i;
    }
  });
  return { ids, k };
}

export type { IdEncoder };
