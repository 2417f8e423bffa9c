/**
 * EASE's closed form (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019):
 * G = X^T X + lambda I over the binary user x item matrix X of positives, P = G^-1, B = I - P diag(1/diag(P)),
 * so B[i][j] = -P[i][j] / P[j][j] and B's diagonal is zero. A user's scores are their multi-hot history times B.
 */
import { ValidationError } from '../core/errors.js';
import type { CsrMatrix } from '../dataset/types.js';
import { choleskyInverse } from '../tf/cholesky-blocked.js';
import { tf, type Tensor2D } from '../tf/tf.js';

/**
 * The auto rule (the model's lambda 0): lambda = LAMBDA_SCALE x sqrt(positives per item). On the seed protocol
 * the best lambda grew with the data, but slower than the mean count: about 200-300 on ml-100k (31 positives
 * per item), 500-1000 on the ml-1m interactions (260 per item); the square root fits both, and ml-latest-small
 * (4.6 per item) lands near 100. The measurements are in docs/benchmarks.md (EASE lambda).
 */
export const LAMBDA_SCALE = 45;

/**
 * The regularisation a fit uses: `lambda` when positive, otherwise the auto rule above on the training matrix.
 * @example resolveLambda(0, train.userItems); // 45 x sqrt(positives / items)
 */
export function resolveLambda(lambda: number, userItems: CsrMatrix): number {
  if (lambda > 0) return lambda;
  let positives = 0;
  for (let p = 0; p < userItems.values.length; p++) if ((userItems.values[p] as number) > 0) positives++;
  return Math.max(1, LAMBDA_SCALE * Math.sqrt(positives / Math.max(1, userItems.nCols)));
}

/**
 * Refuses a catalogue above the item limit: EASE holds n^2 floats several times over and its fit costs about
 * 1.1 n^3 flops (the recursive inverse of `src/tf/cholesky-blocked.ts`), so the error names the limit, what
 * the fit would need, and the alternatives.
 */
export function checkItemLimit(nItems: number, maxItems: number): void {
  if (nItems <= maxItems) return;
  const gib = (4 * 4 * nItems * nItems) / 2 ** 30;
  throw new ValidationError(
    'ease.maxItems',
    `${nItems} items with a training positive exceed the EASE item limit of ${maxItems} (the fit would ` +
      `hold ~${gib.toFixed(1)} GiB of ` +
      `n x n matrices); use --model als or itemknn for this catalogue, or raise ease.maxItems`,
  );
}

/** The items EASE models: those with at least one positive in training, and each item's place among them. */
export interface ModelledItems {
  /** Full item indices of the modelled items, ascending. */
  kept: Int32Array;
  /** Full index -> place in `kept`, or -1 for an item without a positive. */
  toKept: Int32Array;
}

/**
 * The items with a training positive. An item without one has a zero column in X, so G is block diagonal
 * with lambda alone in its place and its column of B is zero: leaving it out changes no other weight and no
 * score (it would score 0 for everyone), and shrinks the n^3 fit (ml-latest-small: 6,171 of 9,724 items).
 */
export function modelledItems(userItems: CsrMatrix): ModelledItems {
  const toKept = new Int32Array(userItems.nCols).fill(-1);
  for (let p = 0; p < userItems.indices.length; p++) {
    if ((userItems.values[p] as number) > 0) toKept[userItems.indices[p] as number] = 0;
  }
  const kept: number[] = [];
  for (let i = 0; i < toKept.length; i++) if (toKept[i] === 0) toKept[i] = kept.push(i) - 1;
  return { kept: Int32Array.from(kept), toKept };
}

/**
 * The binary positives of a CSR restricted to the modelled items, columns renumbered to their places (rows
 * unchanged, values 1).
 */
export function restrictToModelled(m: CsrMatrix, items: ModelledItems): CsrMatrix {
  const indptr = new Int32Array(m.nRows + 1);
  let nnz = 0;
  for (let r = 0; r < m.nRows; r++) {
    for (let p = m.indptr[r] as number; p < (m.indptr[r + 1] as number); p++) {
      if ((m.values[p] as number) > 0 && (items.toKept[m.indices[p] as number] as number) >= 0) nnz++;
    }
    indptr[r + 1] = nnz;
  }
  const indices = new Int32Array(nnz);
  for (let r = 0, q = 0; r < m.nRows; r++) {
    for (let p = m.indptr[r] as number; p < (m.indptr[r + 1] as number); p++) {
      const place = items.toKept[m.indices[p] as number] as number;
      if ((m.values[p] as number) > 0 && place >= 0) indices[q++] = place;
    }
  }
  return { nRows: m.nRows, nCols: items.kept.length, indptr, indices, values: new Float32Array(nnz).fill(1) };
}

/**
 * Every item of a CSR (any value) on the modelled items' places, dropping the others: what to leave out of a
 * ranking over the modelled items.
 */
export function exclusionOnModelled(m: CsrMatrix, items: ModelledItems): CsrMatrix {
  const ones: CsrMatrix = { ...m, values: new Float32Array(m.values.length).fill(1) };
  return restrictToModelled(ones, items);
}

/**
 * G = X^T X over a binary user x item CSR (`restrictToModelled`), row-major n x n, on the host: each user
 * adds 1 to every pair of their items. The cost is the sum of squared history lengths (~2e8 on the ml-1m
 * interactions), where a dense X^T X would take 2 users n^2 flops (1.7e11 on ml-1m).
 */
export function gramMatrix(userItems: CsrMatrix, lambda: number): Float32Array {
  const n = userItems.nCols;
  const g = new Float32Array(n * n);
  for (let u = 0; u < userItems.nRows; u++) {
    const start = userItems.indptr[u] as number;
    const end = userItems.indptr[u + 1] as number;
    // Upper triangle only (columns ascending within a row); mirrored below.
    for (let a = start; a < end; a++) {
      const offset = (userItems.indices[a] as number) * n;
      for (let b = a; b < end; b++) g[offset + (userItems.indices[b] as number)]! += 1;
    }
  }
  for (let i = 0; i < n; i++) {
    g[i * n + i]! += lambda;
    for (let j = i + 1; j < n; j++) g[j * n + i] = g[i * n + j] as number;
  }
  return g;
}

/**
 * B from G (consumed): P = G^-1 through the recursive block LDL^T inverse (`choleskyInverse`), then
 * B = -P / diag(P) column-wise with a zero diagonal. Returns B as a tensor [n, n] (row = history item, column = scored item).
 * @example const b = easeWeights(tf.tensor2d(gramMatrix(x, 200), [n, n]));
 */
export function easeWeights(g: Tensor2D, blockSize?: number): Tensor2D {
  const n = g.shape[0];
  const p = choleskyInverse(g, { consumeInput: true, ...(blockSize ? { blockSize } : {}) });
  try {
    return tf.tidy(() => {
      const diagonal = tf.gatherND(
        p,
        tf.tensor2d(
          Int32Array.from({ length: 2 * n }, (_, i) => i >> 1),
          [n, 2],
          'int32',
        ),
      );
      // -P_ij / P_jj is exactly -1 on the diagonal, so adding I zeroes it exactly.
      return tf.add(tf.neg(tf.div(p, tf.reshape(diagonal, [1, n]))), tf.eye(n)) as Tensor2D;
    });
  } finally {
    p.dispose();
  }
}
