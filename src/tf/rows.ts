import { tf, type Tensor, type Tensor1D, type Tensor2D, type Tensor3D } from './tf.js';

/**
 * Row primitives of sparse-times-dense work (ALS, fold-in), each written the way that is fast on the active
 * backend, so model code never branches on the backend. Measured (4.22, 2 cores): on WASM, multiply + sum and
 * multiply + sparseSegmentSum beat batched matMul (1.1-2x) and gatherND beats gather (50-100x); on the pure-JS
 * cpu backend, broadcasting multiplies and gatherND take 30-50x longer than batched matMul and a plain copy.
 */

function wasm(): boolean {
  return tf.getBackend() === 'wasm';
}

function cpu(): boolean {
  return tf.getBackend() === 'cpu';
}

/**
 * Rows `indices` of a [n, f] matrix -> [indices.length, f].
 * @example const gathered = gatherRows(itemFactors, columns);
 */
export function gatherRows(matrix: Tensor2D, indices: Int32Array): Tensor2D {
  const [n, f] = matrix.shape;
  // gatherND on WASM reads out-of-range rows silently: refuse them here.
  for (const row of indices)
    if (!(row >= 0 && row < n)) throw new RangeError(`row ${row} outside 0..${n - 1}`);
  if (cpu()) {
    // The cpu backend's data lives in JS already: one copy per row beats its generic gather kernels.
    const source = matrix.dataSync() as Float32Array;
    const out = new Float32Array(indices.length * f);
    for (let q = 0; q < indices.length; q++) {
      const row = indices[q] as number;
      out.set(source.subarray(row * f, (row + 1) * f), q * f);
    }
    return tf.tensor2d(out, [indices.length, f]);
  }
  return tf.tidy(() => tf.gatherND(matrix, tf.tensor2d(indices, [indices.length, 1], 'int32')) as Tensor2D);
}

/**
 * Per row of a batch, the dot product of each of its L vectors with the row's vector:
 * rows [b, L, f], vectors [b, f] -> [b, L].
 * @example const dots = rowDots(gathered, p);
 */
export function rowDots(rows: Tensor3D, vectors: Tensor2D): Tensor2D {
  const [b, width, f] = rows.shape;
  return tf.tidy(() =>
    wasm()
      ? (tf.sum(tf.mul(rows, tf.reshape(vectors, [b, 1, f])), -1) as Tensor2D)
      : (tf.reshape(tf.matMul(rows, tf.reshape(vectors, [b, f, 1])), [b, width]) as Tensor2D),
  );
}

/** A batch of rows in both layouts and the index tensors a weighted sum needs; built once per batch. */
export interface RowBatch {
  /** [b, L, f] */
  rows: Tensor3D;
  /** The same data as [b * L, f]. */
  flat: Tensor2D;
  /** 0..b*L-1 and the row of each entry (sparseSegmentSum's arguments). */
  positions: Tensor1D;
  segments: Tensor1D;
}

/**
 * A RowBatch over gathered rows ([b * L, f], row q's entries at q*L .. q*L+L-1).
 * @example const batch = rowBatch(gatherRows(itemFactors, columns), b, width);
 */
export function rowBatch(flat: Tensor2D, b: number, width: number): RowBatch {
  const f = flat.shape[1];
  const segments = new Int32Array(b * width);
  for (let q = 0; q < b; q++) segments.fill(q, q * width, (q + 1) * width);
  return {
    rows: tf.reshape(flat, [b, width, f]) as Tensor3D,
    flat,
    positions: tf.range(0, b * width, 1, 'int32') as Tensor1D,
    segments: tf.tensor1d(segments, 'int32'),
  };
}

/**
 * Per row of a batch, the weighted sum of its L vectors: weights [b, L] -> [b, f].
 * @example const sums = rowWeightedSums(batch, weights);
 */
export function rowWeightedSums(batch: RowBatch, weights: Tensor): Tensor2D {
  const [b, width, f] = batch.rows.shape;
  return tf.tidy(() =>
    wasm()
      ? (tf.sparse.sparseSegmentSum(
          tf.mul(batch.flat, tf.reshape(weights, [b * width, 1])),
          batch.positions,
          batch.segments,
        ) as Tensor2D)
      : (tf.reshape(tf.matMul(tf.reshape(weights, [b, 1, width]), batch.rows), [b, f]) as Tensor2D),
  );
}
