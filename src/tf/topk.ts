import { emptyTopK, type TopK } from '../core/types.js';
import type { CsrMatrix } from '../dataset/types.js';
import { tf, type Tensor2D } from './tf.js';

/**
 * Batched top-k with per-row exclusions (seen items), and blockwise scoring of query vectors against an
 * item matrix. Only the [rows, k] winners leave the backend: downloading a whole score matrix costs about a
 * second per 89 MB on WASM.
 */

/**
 * Columns to leave out of each query row: query `q` excludes the entries of `csr` row `rows[q]` (or row `q`
 * when `rows` is omitted; a negative row excludes nothing). Several exclusions combine.
 */
export interface Exclusion {
  readonly csr: CsrMatrix;
  readonly rows?: Int32Array | null;
}

export type Exclusions = Exclusion | readonly Exclusion[] | null | undefined;

/**
 * Top-k columns of every row of `scores`, best first, leaving out the excluded columns. Rows with fewer than
 * k candidates are padded with id -1 and score -Infinity; excluded columns never appear. Does not dispose
 * `scores`. `rowOffset` is the global query index of row 0 (for callers working block by block).
 * @example const top = await topKExcluding(scores, 10, { csr: userItems, rows: users });
 */
export async function topKExcluding(
  scores: Tensor2D,
  k: number,
  exclude?: Exclusions,
  rowOffset = 0,
): Promise<TopK> {
  const [rows, cols] = scores.shape;
  const out = emptyTopK(rows, k);
  if (rows === 0 || k === 0) return out;
  const kk = Math.min(k, cols);
  const { values, indices } = tf.tidy(() =>
    tf.topk(maskExcluded(scores, exclusionList(exclude), rowOffset), kk),
  );
  try {
    const [vals, ids] = await Promise.all([values.data(), indices.data()]);
    copyWinners(out, 0, rows, kk, vals as Float32Array, ids as Int32Array);
  } finally {
    values.dispose();
    indices.dispose();
  }
  return out;
}

export interface ScoreTopKOptions {
  k: number;
  exclude?: Exclusions;
  /** Query rows scored per block; defaults to about 4M scores per block. */
  blockRows?: number;
}

/**
 * Top-k items for each query vector: scores `queries [Q, f] x itemsT [f, nItems]` block by block (a plain
 * 2-D matMul with a pre-transposed operand, the fast path on WASM), masks exclusions and keeps the k best.
 * Does not dispose its inputs.
 * @example const top = await scoreTopK(userVectors, itemFactorsT, { k: 10, exclude: { csr: seen } });
 */
export async function scoreTopK(
  queries: Tensor2D,
  itemsT: Tensor2D,
  options: ScoreTopKOptions,
): Promise<TopK> {
  const [nQueries, f] = queries.shape;
  const [f2, nItems] = itemsT.shape;
  if (f !== f2) throw new RangeError(`queries have ${f} factors, items ${f2}`);
  const { k } = options;
  const out = emptyTopK(nQueries, k);
  if (nQueries === 0 || k === 0 || nItems === 0) return out;
  const kk = Math.min(k, nItems);
  const blockRows = Math.max(1, options.blockRows ?? Math.min(4096, Math.ceil((1 << 22) / nItems)));
  const exclusions = exclusionList(options.exclude);
  for (let q0 = 0; q0 < nQueries; q0 += blockRows) {
    const n = Math.min(blockRows, nQueries - q0);
    const { values, indices } = tf.tidy(() => {
      const block = n === nQueries ? queries : tf.slice(queries, [q0, 0], [n, f]);
      return tf.topk(maskExcluded(tf.matMul(block, itemsT), exclusions, q0), kk);
    });
    try {
      const [vals, ids] = await Promise.all([values.data(), indices.data()]);
      copyWinners(out, q0, n, kk, vals as Float32Array, ids as Int32Array);
    } finally {
      values.dispose();
      indices.dispose();
    }
  }
  return out;
}

function exclusionList(exclude: Exclusions): readonly Exclusion[] {
  if (!exclude) return [];
  return Array.isArray(exclude) ? (exclude as readonly Exclusion[]) : [exclude as Exclusion];
}

/** `scores` with the excluded (row, column) cells set to -Infinity, by one scatter (no dense mask upload). */
function maskExcluded(scores: Tensor2D, exclusions: readonly Exclusion[], rowOffset: number): Tensor2D {
  const [rows, cols] = scores.shape;
  let count = 0;
  for (const { csr, rows: map } of exclusions) {
    for (let q = 0; q < rows; q++) {
      const r = map ? (map[rowOffset + q] ?? -1) : rowOffset + q;
      if (r >= 0 && r < csr.nRows) count += (csr.indptr[r + 1] as number) - (csr.indptr[r] as number);
    }
  }
  if (count === 0) return scores;
  const cells = new Int32Array(count * 2);
  let m = 0;
  for (const { csr, rows: map } of exclusions) {
    if (csr.nCols > cols) throw new RangeError(`exclusion matrix has ${csr.nCols} columns, scores ${cols}`);
    for (let q = 0; q < rows; q++) {
      const r = map ? (map[rowOffset + q] ?? -1) : rowOffset + q;
      if (r < 0 || r >= csr.nRows) continue;
      for (let p = csr.indptr[r] as number; p < (csr.indptr[r + 1] as number); p++) {
        cells[m++] = q;
        cells[m++] = csr.indices[p] as number;
      }
    }
  }
  return tf.tidy(() => {
    // The CPU backend's tensorScatterUpdate (tfjs 4.22) writes into its input: scatter into a copy there, so
    // the caller's scores (and a typed array they were made from) stay as they were.
    const target = tf.getBackend() === 'cpu' ? tf.mul<Tensor2D>(scores, 1) : scores;
    return tf.tensorScatterUpdate(
      target,
      tf.tensor2d(cells, [count, 2], 'int32'),
      tf.fill([count], -Infinity),
    );
  });
}

function copyWinners(
  out: TopK,
  q0: number,
  n: number,
  kk: number,
  vals: Float32Array,
  ids: Int32Array,
): void {
  for (let q = 0; q < n; q++) {
    const dst = (q0 + q) * out.k;
    for (let j = 0; j < kk; j++) {
      const score = vals[q * kk + j] as number;
      // An excluded cell only wins when fewer than kk candidates remain: that is padding, not a result.
      if (score === -Infinity || Number.isNaN(score)) break;
      out.ids[dst + j] = ids[q * kk + j] as number;
      out.scores[dst + j] = score;
    }
  }
}
