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
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return shuffleInPlace(order, rng);
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
  const users = new Int32Array(order.length);
  const items = new Int32Array(order.length);
  for (let q = 0; q < order.length; q++) {
    const p = order[q] as number;
    users[q] = positives.users[p] as number;
    items[q] = positives.items[p] as number;
  }
  const negs = new Int32Array(users.length * negatives);
  sampler.fill(users, negatives, negs, rng);
  return { users, items, negatives: negs };
}

/**
 * An epoch's examples cut into batches for row-sparse training: per batch, the distinct users and items it
 * touches (each once: the rows the step gathers and its lazy Adam updates), how often each occurs (the
 * per-example L2 penalty, summed per row), and every example's positions among them. Users count once per
 * scored pair (1 + negatives per positive), items once per occurrence as positive or negative.
 */
export interface EpochBatches {
  steps: number;
  /** Batch s's distinct users are `uniqueUsers[userOffsets[s] .. userOffsets[s + 1])` (global indices). */
  uniqueUsers: Int32Array;
  userOffsets: Int32Array;
  userCounts: Float32Array;
  uniqueItems: Int32Array;
  itemOffsets: Int32Array;
  itemCounts: Float32Array;
  /** Per positive, its user's position among its batch's distinct users. */
  localUsers: Int32Array;
  /** [positives, 1 + negatives], row-major: the positive item, then its negatives, as batch positions. */
  localItems: Int32Array;
}

/**
 * Batches of `batchSize` positives (the last may be shorter) over `examples`, with their distinct rows.
 * @example const batches = epochBatches(examples, 4, 8192, train.users.size, train.items.size);
 */
export function epochBatches(
  examples: EpochExamples,
  negatives: number,
  batchSize: number,
  nUsers: number,
  nItems: number,
): EpochBatches {
  const count = examples.users.length;
  const width = 1 + negatives;
  const steps = Math.ceil(count / batchSize);
  const uniqueUsers = new Int32Array(count);
  const userCounts = new Float32Array(count);
  const userOffsets = new Int32Array(steps + 1);
  const uniqueItems = new Int32Array(count * width);
  const itemCounts = new Float32Array(count * width);
  const itemOffsets = new Int32Array(steps + 1);
  const localUsers = new Int32Array(count);
  const localItems = new Int32Array(count * width);
  // Per row, the batch that last saw it and its position there.
  const userBatch = new Int32Array(nUsers).fill(-1);
  const userSlot = new Int32Array(nUsers);
  const itemBatch = new Int32Array(nItems).fill(-1);
  const itemSlot = new Int32Array(nItems);
  let users = 0;
  let items = 0;
  for (let s = 0; s < steps; s++) {
    const userStart = users;
    const itemStart = items;
    const end = Math.min(count, (s + 1) * batchSize);
    for (let p = s * batchSize; p < end; p++) {
      const u = examples.users[p] as number;
      if (userBatch[u] !== s) {
        userBatch[u] = s;
        userSlot[u] = users - userStart;
        uniqueUsers[users++] = u;
      }
      const userPosition = userSlot[u] as number;
      localUsers[p] = userPosition;
      userCounts[userStart + userPosition]! += width;
      for (let j = 0; j < width; j++) {
        const i = (j === 0 ? examples.items[p] : examples.negatives[p * negatives + j - 1]) as number;
        if (itemBatch[i] !== s) {
          itemBatch[i] = s;
          itemSlot[i] = items - itemStart;
          uniqueItems[items++] = i;
        }
        const itemPosition = itemSlot[i] as number;
        localItems[p * width + j] = itemPosition;
        itemCounts[itemStart + itemPosition]! += 1;
      }
    }
    userOffsets[s + 1] = users;
    itemOffsets[s + 1] = items;
  }
  return {
    steps,
    uniqueUsers: uniqueUsers.subarray(0, users),
    userOffsets,
    userCounts: userCounts.subarray(0, users),
    uniqueItems: uniqueItems.subarray(0, items),
    itemOffsets,
    itemCounts: itemCounts.subarray(0, items),
    localUsers,
    localItems,
  };
}
