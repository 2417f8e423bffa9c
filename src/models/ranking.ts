/**
 * Plain-JS ranking helpers for models whose scores are computed on the CPU side (popularity, item-kNN):
 * batched TopK buffers, exclusion masks from CSR rows, and a bounded-heap top-k with a fixed tie rule
 * (higher score first, then lower item index), so single-user and batch calls rank identically.
 */
import type { TopK } from '../core/types.js';
import type { CsrMatrix } from '../dataset/types.js';

export function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
}

/**
 * Throws a RangeError naming the first index outside 0..n-1 (dense user or item indices given to a model).
 * @example checkIndices(items, model.items.size, 'item');
 */
export function checkIndices(indices: ArrayLike<number>, n: number, what: 'user' | 'item'): void {
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i] as number;
    if (!(Number.isInteger(index) && index >= 0 && index < n)) {
      throw new RangeError(`${what} index ${index} outside 0..${n - 1}`);
    }
  }
}

/**
 * Sets `mask[item] = value` for every item in row `row` of `m` (no-op when `m` or the row is absent).
 * @example markRow(mask, userItems, user, 1); ...; markRow(mask, userItems, user, 0);
 */
export function markRow(mask: Uint8Array, m: CsrMatrix | undefined, row: number, value: 0 | 1): void {
  if (!m || row < 0 || row >= m.nRows) return;
  const end = m.indptr[row + 1] as number;
  for (let p = m.indptr[row] as number; p < end; p++) {
    const item = m.indices[p] as number;
    if (item >= 0 && item < mask.length) mask[item] = value;
  }
}

/** Sets `mask[item] = value` for each of `items`. */
export function markItems(mask: Uint8Array, items: ArrayLike<number>, value: 0 | 1): void {
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as number;
    if (item >= 0 && item < mask.length) mask[item] = value;
  }
}

/** True when candidate (sa, ia) ranks below (sb, ib): lower score, or equal score and higher index. */
function worse(sa: number, ia: number, sb: number, ib: number): boolean {
  return sa < sb || (sa === sb && ia > ib);
}

/**
 * Writes the top-k unmasked items of `scores` into row `row` of `out` (best first; ties by lower index);
 * places beyond the number of candidates keep their padding. O(n log k).
 * @example selectTopK(scores, mask, out, q);
 */
export function selectTopK(
  scores: Float32Array | Float64Array,
  mask: Uint8Array,
  out: TopK,
  row: number,
): void {
  const k = out.k;
  const heapIds = new Int32Array(k);
  const heapScores = new Float64Array(k);
  let size = 0;
  for (let item = 0; item < scores.length; item++) {
    if (mask[item] === 1) continue;
    const s = scores[item] as number;
    if (size < k) {
      // sift up: the heap's root is the worst kept candidate
      let i = size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!worse(s, item, heapScores[parent] as number, heapIds[parent] as number)) break;
        heapIds[i] = heapIds[parent] as number;
        heapScores[i] = heapScores[parent] as number;
        i = parent;
      }
      heapIds[i] = item;
      heapScores[i] = s;
    } else if (worse(heapScores[0] as number, heapIds[0] as number, s, item)) {
      siftDown(heapIds, heapScores, size, item, s);
    }
  }
  // Pop the worst repeatedly into the row from the back.
  const base = row * k;
  for (let place = size - 1; place >= 0; place--) {
    out.ids[base + place] = heapIds[0] as number;
    out.scores[base + place] = heapScores[0] as number;
    const lastId = heapIds[size - 1] as number;
    const lastScore = heapScores[size - 1] as number;
    size--;
    if (size > 0) siftDown(heapIds, heapScores, size, lastId, lastScore);
  }
}

/** Puts (id, score) at the root of a heap of `size` and sifts it down. */
function siftDown(ids: Int32Array, scores: Float64Array, size: number, id: number, score: number): void {
  let i = 0;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= size) break;
    const right = left + 1;
    let child = left;
    if (
      right < size &&
      worse(scores[right] as number, ids[right] as number, scores[left] as number, ids[left] as number)
    ) {
      child = right;
    }
    if (!worse(scores[child] as number, ids[child] as number, score, id)) break;
    ids[i] = ids[child] as number;
    scores[i] = scores[child] as number;
    i = child;
  }
  ids[i] = id;
  scores[i] = score;
}
