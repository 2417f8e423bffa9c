import type { Rng } from '../core/rng.js';

/**
 * Sampling pieces of the synthetic generator, all over typed arrays: Walker's alias table (O(1) draws from a
 * fixed discrete distribution), power-law activity counts with an exact total, and weighted sampling without
 * replacement by exponential keys.
 */

/** Walker's alias method: draw index i with probability weights[i] / sum in O(1). */
export interface AliasTable {
  readonly probability: Float64Array;
  readonly alias: Int32Array;
}

/** Builds an alias table (Vose's stable variant). Weights must be >= 0 with a positive sum. */
export function buildAliasTable(weights: Float64Array): AliasTable {
  const n = weights.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += weights[i] as number;
  const scaled = new Float64Array(n);
  for (let i = 0; i < n; i++) scaled[i] = ((weights[i] as number) * n) / sum;
  const probability = new Float64Array(n);
  const alias = new Int32Array(n);
  const small = new Int32Array(n);
  const large = new Int32Array(n);
  let ns = 0;
  let nl = 0;
  for (let i = 0; i < n; i++) {
    if ((scaled[i] as number) < 1) small[ns++] = i;
    else large[nl++] = i;
  }
  while (ns > 0 && nl > 0) {
    const s = small[--ns] as number;
    const l = large[nl - 1] as number;
    probability[s] = scaled[s] as number;
    alias[s] = l;
    scaled[l] = (scaled[l] as number) + (scaled[s] as number) - 1;
    if ((scaled[l] as number) < 1) {
      nl--;
      small[ns++] = l;
    }
  }
  while (nl > 0) probability[large[--nl] as number] = 1;
  while (ns > 0) probability[small[--ns] as number] = 1;
  return { probability, alias };
}

/** One draw from an alias table. */
export function drawAlias(table: AliasTable, rng: Rng): number {
  const n = table.alias.length;
  const x = rng.next() * n;
  const i = Math.floor(x);
  return x - i < (table.probability[i] as number) ? i : (table.alias[i] as number);
}

/**
 * Per-user activity summing exactly to `total`: `min + scale * extra_u` with Pareto-distributed extras (shape
 * `shape`, a heavy right tail like MovieLens's: most users rate a few dozen movies, a few rate thousands),
 * each count within [min, cap]. The scale is found by bisection so that the capped counts add up; rounding
 * leftovers go one by one to users in a seeded order.
 */
export function powerLawCounts(
  n: number,
  total: number,
  bounds: { min: number; cap: number },
  shape: number,
  rng: Rng,
): Int32Array {
  const { min, cap } = bounds;
  // Pareto(1, shape) minus 0.9: strictly positive, so a large enough scale caps every user.
  const extra = new Float64Array(n);
  for (let u = 0; u < n; u++) extra[u] = Math.pow(1 - rng.next(), -1 / shape) - 0.9;
  const cappedSum = (scale: number): number => {
    let s = 0;
    for (let u = 0; u < n; u++) s += Math.min(cap, min + scale * (extra[u] as number));
    return s;
  };
  let lo = 0;
  let hi = (cap - min) / 0.1 + 1;
  for (let it = 0; it < 100 && hi - lo > 1e-9 * hi; it++) {
    const mid = (lo + hi) / 2;
    if (cappedSum(mid) > total) hi = mid;
    else lo = mid;
  }
  const counts = new Int32Array(n);
  let assigned = 0;
  for (let u = 0; u < n; u++) {
    counts[u] = Math.floor(Math.min(cap, min + lo * (extra[u] as number)));
    assigned += counts[u] as number;
  }
  // Leftovers from flooring (< n, plus any bisection slack): round-robin from a seeded offset.
  let u = rng.int(n);
  while (assigned < total) {
    if ((counts[u] as number) < cap) {
      counts[u]!++;
      assigned++;
    }
    u = (u + 1) % n;
  }
  while (assigned > total) {
    if ((counts[u] as number) > min) {
      counts[u]!--;
      assigned--;
    }
    u = (u + 1) % n;
  }
  return counts;
}

/**
 * Weighted sampling without replacement by exponential keys (Efraimidis and Spirakis): item i gets key
 * `log(U) / w_i` and the `count` largest keys win, which is the same law as drawing one at a time with
 * probability proportional to weight among the items left. Returns the winners by decreasing key (the
 * order of sequential draws). Candidates with weight 0 never win.
 */
export function sampleWithoutReplacement(
  candidates: Int32Array,
  weights: Float64Array,
  count: number,
  rng: Rng,
): Int32Array {
  const n = candidates.length;
  const keys = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const w = weights[k] as number;
    keys[k] = w > 0 ? Math.log(1 - rng.next()) / w : -Infinity;
  }
  const order = Int32Array.from({ length: n }, (_, k) => k);
  const take = Math.min(count, n);
  selectLargest(keys, order, take);
  const winners = order.slice(0, take).sort((a, b) => (keys[b] as number) - (keys[a] as number) || a - b);
  return winners.map((k) => candidates[k] as number);
}

/** Reorders `order` so its first `k` entries index the k largest keys (quickselect, median-of-three). */
function selectLargest(keys: Float64Array, order: Int32Array, k: number): void {
  let lo = 0;
  let hi = order.length - 1;
  const key = (i: number): number => keys[order[i] as number] as number;
  const swap = (a: number, b: number): void => {
    const t = order[a] as number;
    order[a] = order[b] as number;
    order[b] = t;
  };
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const pivot = Math.max(Math.min(key(lo), key(mid)), Math.min(Math.max(key(lo), key(mid)), key(hi)));
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (key(i) > pivot) i++;
      while (key(j) < pivot) j--;
      if (i <= j) swap(i++, j--);
    }
    if (k - 1 <= j) hi = j;
    else if (k - 1 >= i) lo = i;
    else return;
  }
}
