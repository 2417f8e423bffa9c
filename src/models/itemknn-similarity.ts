/**
 * Item-item similarity for item-kNN: weight the item vectors (columns of the user x item matrix), then
 * compute all pairwise dot products blockwise as dense matMuls in tf ops and keep each item's top-N
 * neighbours (itself excluded) as a CSR matrix.
 *
 * Weightings (after benfred/implicit's nearest_neighbours, where items are the documents and users the
 * terms; idf(u) = log(nItems / (1 + items of u))):
 * - `cosine`: the raw values, each item vector L2-normalized.
 * - `tfidf`: sqrt(value) * idf(u), then L2-normalized.
 * - `bm25`: value * (K1 + 1) / (K1 * lengthNorm(i) + value) * idf(u) with lengthNorm(i) = 1 - B + B *
 *   |i| / mean |i| (|i| the item's value sum); not normalized, as in implicit.
 *
 * Cost: nUsers * nItems^2 multiply-adds in dense matMuls (about 7 s for ml-1m on WASM); memory is bounded by
 * the block sizes, not by the catalogue. Both operands are built pre-transposed in JS, because a transposed
 * matMul operand leaves the fast path on WASM (stack-notes).
 */
import { CancelledError } from '../core/errors.js';
import type { ProgressListener } from '../core/progress.js';
import type { CsrMatrix } from '../dataset/types.js';
import { tf } from '../tf/tf.js';

export const ITEM_WEIGHTINGS = ['cosine', 'tfidf', 'bm25'] as const;
export type ItemWeighting = (typeof ITEM_WEIGHTINGS)[number];

/** Elements of the dense right operand [nUsers, columns] of one block (128 MB of float32). */
const MAX_RIGHT_ELEMENTS = 1 << 25;
/** Elements of the dense left operand and of the product of one block (16 MB of float32 each). */
const MAX_LEFT_ELEMENTS = 1 << 22;

/**
 * The item x user matrix with each value replaced by its weight (same sparsity pattern).
 * @example const vectors = weightItemVectors(transposeCsr(userItems), 'bm25', { k1: 1.2, b: 0.75 });
 */
export function weightItemVectors(
  itemUsers: CsrMatrix,
  weighting: ItemWeighting,
  bm25: { k1: number; b: number } = { k1: 1.2, b: 0.75 },
): CsrMatrix {
  const { nRows: nItems, nCols: nUsers, indptr, indices, values } = itemUsers;
  const weights = new Float32Array(values.length);
  const idf = new Float64Array(nUsers);
  if (weighting !== 'cosine') {
    const degree = new Int32Array(nUsers);
    for (let p = 0; p < indices.length; p++) degree[indices[p] as number]!++;
    for (let u = 0; u < nUsers; u++) idf[u] = Math.log(nItems / (1 + (degree[u] as number)));
  }
  if (weighting === 'bm25') {
    const rowSums = new Float64Array(nItems);
    let total = 0;
    for (let i = 0; i < nItems; i++) {
      for (let p = indptr[i] as number; p < (indptr[i + 1] as number); p++)
        rowSums[i]! += values[p] as number;
      total += rowSums[i] as number;
    }
    const average = nItems > 0 ? total / nItems : 1;
    for (let i = 0; i < nItems; i++) {
      const lengthNorm = 1 - bm25.b + (bm25.b * (rowSums[i] as number)) / (average || 1);
      for (let p = indptr[i] as number; p < (indptr[i + 1] as number); p++) {
        const v = values[p] as number;
        weights[p] =
          ((v * (bm25.k1 + 1)) / (bm25.k1 * lengthNorm + v)) * (idf[indices[p] as number] as number);
      }
    }
    return { ...itemUsers, values: weights };
  }
  for (let p = 0; p < values.length; p++) {
    const v = values[p] as number;
    weights[p] = weighting === 'tfidf' ? Math.sqrt(v) * (idf[indices[p] as number] as number) : v;
  }
  for (let i = 0; i < nItems; i++) {
    let norm = 0;
    for (let p = indptr[i] as number; p < (indptr[i + 1] as number); p++) norm += (weights[p] as number) ** 2;
    norm = Math.sqrt(norm);
    if (norm > 0) for (let p = indptr[i] as number; p < (indptr[i + 1] as number); p++) weights[p]! /= norm;
  }
  return { ...itemUsers, values: weights };
}

export interface NeighbourOptions {
  /**
   * Support-aware similarity (issue 11.2): each similarity is scaled by n / (n + shrinkage), n the users
   * who have both items (the co-rating count, from the vectors' sparsity pattern); default 0, no scaling.
   */
  shrinkage?: number;
  /** Pairs with fewer co-ratings are never neighbours (default 1: any pair with a positive similarity). */
  minSupport?: number;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  /** Elements of one block's dense right operand (default 2^25); smaller means more column blocks. */
  maxRightElements?: number;
  /** Elements of one block's dense left operand and product (default 2^22). */
  maxLeftElements?: number;
}

/**
 * Each item's `neighbours` most similar other items (dot products of the rows of `itemVectors`), as an item x
 * item CSR with columns ascending. Only positive similarities are kept; ties at equal similarity go to the
 * lower item index.
 * @example const similarity = await topNeighbours(weightItemVectors(itemUsers, 'cosine'), 200);
 */
export async function topNeighbours(
  itemVectors: CsrMatrix,
  neighbours: number,
  options: NeighbourOptions = {},
): Promise<CsrMatrix> {
  const { nRows: nItems, nCols: nUsers } = itemVectors;
  const n = Math.max(0, Math.min(neighbours, nItems - 1));
  const bestIds = new Int32Array(nItems * n);
  const bestValues = new Float32Array(nItems * n);
  const counts = new Int32Array(nItems);
  if (n > 0 && nUsers > 0) {
    const maxRight = options.maxRightElements ?? MAX_RIGHT_ELEMENTS;
    const maxLeft = options.maxLeftElements ?? MAX_LEFT_ELEMENTS;
    const colBlock = clamp(Math.floor(maxRight / nUsers), 1, nItems);
    const rowBlock = clamp(Math.floor(maxLeft / Math.max(nUsers, colBlock)), 1, nItems);
    const total = nItems * Math.ceil(nItems / colBlock);
    const shrinkage = options.shrinkage ?? 0;
    const minSupport = options.minSupport ?? 1;
    // The co-rating counts are dot products of the binary patterns, computed beside the similarities.
    const pattern =
      shrinkage > 0 || minSupport > 1
        ? { ...itemVectors, values: new Float32Array(itemVectors.values.length).fill(1) }
        : null;
    let done = 0;
    for (let c0 = 0; c0 < nItems; c0 += colBlock) {
      const cb = Math.min(colBlock, nItems - c0);
      const kp = Math.min(n + 1, cb);
      const right = tf.tensor2d(denseColumns(itemVectors, c0, cb), [nUsers, cb]);
      const rightPattern = pattern ? tf.tensor2d(denseColumns(pattern, c0, cb), [nUsers, cb]) : null;
      try {
        for (let r0 = 0; r0 < nItems; r0 += rowBlock) {
          if (options.signal?.aborted) throw new CancelledError('item-kNN similarity');
          const rb = Math.min(rowBlock, nItems - r0);
          const [values, indices] = tf.tidy(() => {
            const left = tf.tensor2d(denseRows(itemVectors, r0, rb), [rb, nUsers]);
            let scores = tf.matMul(left, right);
            if (pattern && rightPattern) {
              const counts = tf.matMul(tf.tensor2d(denseRows(pattern, r0, rb), [rb, nUsers]), rightPattern);
              const kept = tf.cast(tf.greaterEqual(counts, minSupport), 'float32');
              scores = tf.mul(scores, tf.mul(kept, tf.div(counts, tf.add(counts, shrinkage))));
            }
            const top = tf.topk(scores, kp);
            return [top.values, top.indices];
          });
          const topValues = (await values.data()) as Float32Array;
          const topIndices = (await indices.data()) as Int32Array;
          values.dispose();
          indices.dispose();
          for (let r = 0; r < rb; r++) {
            mergeCandidates(r0 + r, c0, topIndices, topValues, r * kp, kp, n, bestIds, bestValues, counts);
          }
          done += rb;
          options.onProgress?.({ phase: 'item-kNN similarity', done, total, unit: 'items' });
        }
      } finally {
        right.dispose();
        rightPattern?.dispose();
      }
    }
  }
  return packColumnsAscending(nItems, n, bestIds, bestValues, counts);
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, x));
}

/** Dense [nUsers, count] holding items c0..c0+count as columns (the pre-transposed right operand). */
function denseColumns(m: CsrMatrix, c0: number, count: number): Float32Array {
  const out = new Float32Array(m.nCols * count);
  for (let j = 0; j < count; j++) {
    for (let p = m.indptr[c0 + j] as number; p < (m.indptr[c0 + j + 1] as number); p++) {
      out[(m.indices[p] as number) * count + j] = m.values[p] as number;
    }
  }
  return out;
}

/** Dense [count, nUsers] holding items r0..r0+count as rows (the left operand). */
function denseRows(m: CsrMatrix, r0: number, count: number): Float32Array {
  const out = new Float32Array(count * m.nCols);
  for (let r = 0; r < count; r++) {
    for (let p = m.indptr[r0 + r] as number; p < (m.indptr[r0 + r + 1] as number); p++) {
      out[r * m.nCols + (m.indices[p] as number)] = m.values[p] as number;
    }
  }
  return out;
}

/** Ranks (value desc, id asc): negative when a ranks first. */
function rankOrder(va: number, ia: number, vb: number, ib: number): number {
  return vb - va || ia - ib;
}

/**
 * Merges one block's candidates of `item` (columns offset by c0) into its kept list, which stays sorted by
 * (similarity desc, id asc) and holds at most n entries; skips the item itself and non-positive values.
 */
function mergeCandidates(
  item: number,
  c0: number,
  topIndices: Int32Array,
  topValues: Float32Array,
  offset: number,
  kp: number,
  n: number,
  bestIds: Int32Array,
  bestValues: Float32Array,
  counts: Int32Array,
): void {
  const fresh: { id: number; value: number }[] = [];
  for (let j = 0; j < kp; j++) {
    const id = c0 + (topIndices[offset + j] as number);
    const value = topValues[offset + j] as number;
    if (id !== item && value > 0) fresh.push({ id, value });
  }
  if (fresh.length === 0) return;
  fresh.sort((a, b) => rankOrder(a.value, a.id, b.value, b.id));
  const base = item * n;
  const have = counts[item] as number;
  const keptIds = bestIds.slice(base, base + have);
  const keptValues = bestValues.slice(base, base + have);
  let a = 0;
  let b = 0;
  let out = 0;
  while (out < n && (a < have || b < fresh.length)) {
    const takeKept =
      b >= fresh.length ||
      (a < have &&
        rankOrder(keptValues[a] as number, keptIds[a] as number, fresh[b]!.value, fresh[b]!.id) < 0);
    if (takeKept) {
      bestIds[base + out] = keptIds[a] as number;
      bestValues[base + out] = keptValues[a++] as number;
    } else {
      bestIds[base + out] = fresh[b]!.id;
      bestValues[base + out] = fresh[b++]!.value;
    }
    out++;
  }
  counts[item] = out;
}

/** The kept neighbours as a CSR matrix with columns ascending within each row. */
function packColumnsAscending(
  nItems: number,
  n: number,
  bestIds: Int32Array,
  bestValues: Float32Array,
  counts: Int32Array,
): CsrMatrix {
  const indptr = new Int32Array(nItems + 1);
  for (let i = 0; i < nItems; i++) indptr[i + 1] = (indptr[i] as number) + (counts[i] as number);
  const nnz = indptr[nItems] as number;
  const indices = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  for (let i = 0; i < nItems; i++) {
    const count = counts[i] as number;
    const order = Array.from({ length: count }, (_, j) => j).sort(
      (x, y) => (bestIds[i * n + x] as number) - (bestIds[i * n + y] as number),
    );
    order.forEach((j, place) => {
      indices[(indptr[i] as number) + place] = bestIds[i * n + j] as number;
      values[(indptr[i] as number) + place] = bestValues[i * n + j] as number;
    });
  }
  return { nRows: nItems, nCols: nItems, indptr, indices, values };
}
