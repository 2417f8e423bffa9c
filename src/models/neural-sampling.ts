/**
 * The neural model's training examples, prepared on the host once per epoch as flat buffers (a seeded
 * shuffle of the positives and every negative of the epoch), so the training loop uploads them once and
 * slices batches on the backend: no host round trip per step.
 */
import { createRng, shuffleInPlace, type Rng } from '../core/rng.js';
import type { CsrMatrix } from '../dataset/types.js';

/** The positive (user, item) pairs of a training matrix (value > 0), in row order. */
export interface Positives {
  users: Int32Array;
  items: Int32Array;
}

/**
 * The pairs with a positive value.
 * @example const { users, items } = positivePairs(train.userItems);
 */
export function positivePairs(userItems: CsrMatrix): Positives {
  let count = 0;
  for (let p = 0; p < userItems.values.length; p++) if ((userItems.values[p] as number) > 0) count++;
  const users = new Int32Array(count);
  const items = new Int32Array(count);
  let q = 0;
  for (let u = 0; u < userItems.nRows; u++) {
    for (let p = userItems.indptr[u] as number; p < (userItems.indptr[u + 1] as number); p++) {
      if ((userItems.values[p] as number) <= 0) continue;
      users[q] = u;
      items[q++] = userItems.indices[p] as number;
    }
  }
  return { users, items };
}

/**
 * A seeded permutation of 0..n-1 (Fisher-Yates).
 * @example const order = shuffledOrder(positives.users.length, rng);
 */
export function shuffledOrder(n: number, rng: Rng): Int32Array {
  return shuffleInPlace(
    Int32Array.from({ length: n }, (_, i) => i),
    rng,
  );
}

/** Draws items for negatives: uniformly, or by count^0.75 through a cumulative table. */
export interface NegativeSampler {
  /** Fills `out` with negatives for `users[q]` (`perUser` each), never an item the user has in `seen`. */
  fill(users: Int32Array, perUser: number, out: Int32Array, rng: Rng): void;
}

/**
 * A sampler over `seen`'s columns that rejects the user's own items (a few retries, then accepts, so a user
 * who has seen nearly everything cannot stall training).
 * @example const sampler = negativeSampler(train.userItems, 'popularity');
 */
export function negativeSampler(seen: CsrMatrix, mode: 'uniform' | 'popularity'): NegativeSampler {
  const nItems = seen.nCols;
  let cumulative: Float64Array | null = null;
  if (mode === 'popularity') {
    const counts = new Float64Array(nItems);
    for (let p = 0; p < seen.indices.length; p++) counts[seen.indices[p] as number]! += 1;
    cumulative = new Float64Array(nItems);
    let total = 0;
    for (let i = 0; i < nItems; i++) cumulative[i] = total += (counts[i] as number) ** 0.75;
  }
  const draw = (rng: Rng): number => {
    if (!cumulative) return rng.int(nItems);
    const target = rng.next() * (cumulative[nItems - 1] as number);
    let lo = 0;
    let hi = nItems - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) > target) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  return {
    fill(users, perUser, out, rng) {
      for (let q = 0; q < users.length; q++) {
        const u = users[q] as number;
        const start = seen.indptr[u] as number;
        const end = seen.indptr[u + 1] as number;
        for (let j = 0; j < perUser; j++) {
          let item = draw(rng);
          for (let attempt = 0; attempt < 8 && contains(seen.indices, start, end, item); attempt++) {
            item = draw(rng);
          }
          out[q * perUser + j] = item;
        }
      }
    },
  };
}

/** Binary search in a sorted CSR row. */
function contains(indices: Int32Array, start: number, end: number, item: number): boolean {
  let lo = start;
  let hi = end - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = indices[mid] as number;
    if (v === item) return true;
    if (v < item) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** One epoch of examples: shuffled positives and their negatives, flat. */
export interface EpochExamples {
  users: Int32Array;
  items: Int32Array;
  /** `negatives` per positive, row-major ([positives, negatives]). */
  negatives: Int32Array;
}

/**
 * The examples of epoch `epoch` (0-based), seeded by (seed, epoch) so any epoch can be rebuilt alone.
 * @example const examples = epochExamples(positives, sampler, 4, 42, 0);
 */
export function epochExamples(
  positives: Positives,
  sampler: NegativeSampler,
  negatives: number,
  seed: number,
  epoch: number,
): EpochExamples {
  const rng = createRng(seed * 1000 + epoch + 1);
  const order = shuffledOrder(positives.users.length, rng);
  const users = Int32Array.from(order, (p) => positives.users[p] as number);
  const items = Int32Array.from(order, (p) => positives.items[p] as number);
  const negs = new Int32Array(users.length * negatives);
  sampler.fill(users, negatives, negs, rng);
  return { users, items, negatives: negs };
}
