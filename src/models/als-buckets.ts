import type { CsrMatrix } from '../dataset/types.js';

/**
 * How one ALS half-step is cut into batches. Rows (users, or items) are sorted by history length and cut into
 * buckets of similar length, so a bucket's [rows, maxLength] padding stays small and its memory is bounded
 * by `maxEntries` padded interactions, not by the number of ratings.
 */

export interface Bucket {
  /** Row indices, longest history first. */
  rows: Int32Array;
  /** Length of the longest history (the padded width). */
  width: number;
}

export interface BucketOptions {
  /** Most rows per bucket. */
  batchSize: number;
  /** Most padded entries (rows x width) per bucket; a longer single row gets a bucket of its own. */
  maxEntries: number;
  /** A bucket closes when a row is shorter than this share of its width (bounds the padding). */
  minFill?: number;
}

/**
 * Buckets of the non-empty rows of `m` (empty rows are not solved: their factors stay zero, as in
 * benfred/implicit), longest first. Deterministic: ties in length keep row order.
 * @example const buckets = planBuckets(userItems, { batchSize: 512, maxEntries: 1 << 17 });
 */
export function planBuckets(m: CsrMatrix, options: BucketOptions): Bucket[] {
  const minFill = options.minFill ?? 0.8;
  const lengths = new Int32Array(m.nRows);
  let nonEmpty = 0;
  for (let r = 0; r < m.nRows; r++) {
    lengths[r] = (m.indptr[r + 1] as number) - (m.indptr[r] as number);
    if ((lengths[r] as number) > 0) nonEmpty++;
  }
  const order = new Int32Array(nonEmpty);
  let n = 0;
  for (let r = 0; r < m.nRows; r++) if ((lengths[r] as number) > 0) order[n++] = r;
  order.sort((a, b) => (lengths[b] as number) - (lengths[a] as number) || a - b);

  const buckets: Bucket[] = [];
  let start = 0;
  while (start < order.length) {
    const width = lengths[order[start] as number] as number;
    const cap = Math.max(1, Math.min(options.batchSize, Math.floor(options.maxEntries / width)));
    let end = start + 1;
    while (
      end < order.length &&
      end - start < cap &&
      (lengths[order[end] as number] as number) >= minFill * width
    ) {
      end++;
    }
    buckets.push({ rows: order.slice(start, end), width });
    start = end;
  }
  return buckets;
}

/**
 * Splits buckets over `workers` so each gets about the same padded work (largest first onto the least loaded),
 * returning each worker's bucket indices in ascending order. Deterministic.
 * @example const [first, second] = assignBuckets(buckets, 2);
 */
export function assignBuckets(buckets: readonly Bucket[], workers: number): Int32Array[] {
  const load = new Float64Array(workers);
  const owned: number[][] = Array.from({ length: workers }, () => []);
  const bySize = buckets.map((_, i) => i).sort((a, b) => cost(buckets[b]!) - cost(buckets[a]!) || a - b);
  for (const i of bySize) {
    let w = 0;
    for (let j = 1; j < workers; j++) if ((load[j] as number) < (load[w] as number)) w = j;
    load[w]! += cost(buckets[i]!);
    owned[w]!.push(i);
  }
  return owned.map((ids) => Int32Array.from(ids.sort((a, b) => a - b)));
}

/** Padded work of a bucket, plus a fixed share for the per-bucket op overhead. */
function cost(bucket: Bucket): number {
  return bucket.rows.length * (bucket.width + 64);
}

/** What a row's stored values mean to the solver (see `paddedBucket`). */
export interface ValueConvention {
  explicit: boolean;
  alpha: number;
  /** Implicit confidence: `alpha * r` (benfred/implicit) or `1 + alpha * r` (Hu, Koren, Volinsky). */
  confidence: 'alpha-r' | 'one-plus-alpha-r';
}

/**
 * A bucket's interactions as padded [rows x width] arrays for the tf solver: column index, target weight
 * `t` (the right-hand side is sum t_l y_l) and correction weight `w` (A = G + sum w_l y_l y_l^T), zero in
 * the padding. Implicit: c from the convention, t = c for a positive value, 0 for a negative one (a
 * confident dislike, as implicit reads negative entries), w = c - 1. Explicit: t = r, w = 1.
 * `constant` is the part of the loss that does not depend on factors: sum of c (implicit) or of r^2.
 * @example const padded = paddedBucket(userItems, bucket, { explicit: false, alpha: 1, confidence: 'alpha-r' });
 */
export function paddedBucket(m: CsrMatrix, bucket: Bucket, convention: ValueConvention) {
  const { rows, width } = bucket;
  const size = rows.length * width;
  const columns = new Int32Array(size);
  const target = new Float32Array(size);
  const weight = new Float32Array(size);
  const counts = new Float32Array(rows.length);
  let constant = 0;
  for (let q = 0; q < rows.length; q++) {
    const row = rows[q] as number;
    const start = m.indptr[row] as number;
    const end = m.indptr[row + 1] as number;
    counts[q] = end - start;
    for (let p = start, o = q * width; p < end; p++, o++) {
      const v = m.values[p] as number;
      columns[o] = m.indices[p] as number;
      if (convention.explicit) {
        target[o] = v;
        weight[o] = 1;
        constant += v * v;
      } else {
        const magnitude = Math.abs(v);
        const c =
          convention.confidence === 'alpha-r'
            ? convention.alpha * magnitude
            : 1 + convention.alpha * magnitude;
        target[o] = v > 0 ? c : 0;
        weight[o] = c - 1;
        constant += c;
      }
    }
  }
  return { rows, width, columns, target, weight, counts, constant };
}

export type PaddedBucket = ReturnType<typeof paddedBucket>;
