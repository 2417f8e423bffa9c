/**
 * Blocked Cholesky factorisation and inverse of one n x n symmetric positive definite matrix in tf ops, every
 * O(n^3) step a plain 2-D matMul whose operands are laid out as stored, with a tall left operand and a narrow
 * [*, nb] right one (the fast shape of WASM's matMul: [3072, 3072] x [3072, 256] runs 2x faster than
 * [256, 3072] x [3072, 3072], and a transposed operand 10-50x slower). Only the nb x nb diagonal blocks are
 * factored on the host, in float64: nb^3 / 3 multiply-adds each, against the 2 nb k n of the panel beside them.
 *
 * Left-looking, by block columns of L (A = L L^T):
 *   L[k:, k] = (A[k:, k] - L[k:, :k] L[k, :k]^T) L_kk^-T,
 * one matMul [n - k0, k0] x [k0, nb] and one [n - k0, nb] x [nb, nb] per block: n^3 / 3 multiply-adds in all.
 * The inverse follows LAPACK's potri split: V = L^-T by block columns in the same loop (it reuses each step's
 * L[k, :k]^T), then P = V V^T by block columns of its upper half, P[:a1, a] = V[:a1, a:] V[a, a:]^T, the lower
 * half mirrored. Sub-blocks are taken with gatherND over nb-wide chunks: a `slice` on WASM copies the whole
 * source tensor before cutting, which made slicing cost as much as the matMuls. The matrix is padded to a
 * multiple of nb with an identity block, which leaves L and P unchanged on the original rows and columns.
 */
import { tf, type Tensor2D } from './tf.js';

/** The block size when none is given: large enough for matMul speed, small enough for the host's blocks. */
export const DEFAULT_CHOLESKY_BLOCK = 256;

export interface BlockedCholeskyOptions {
  /** Columns per block (nb); default DEFAULT_CHOLESKY_BLOCK. */
  blockSize?: number;
  /** Dispose the input once it is no longer needed (saves n^2 floats at the peak of an inverse). */
  consumeInput?: boolean;
}

function blockSizeOf(options: BlockedCholeskyOptions): number {
  const nb = options.blockSize ?? DEFAULT_CHOLESKY_BLOCK;
  if (!Number.isInteger(nb) || nb < 1)
    throw new RangeError(`blockSize must be a positive integer, got ${nb}`);
  return nb;
}

function checkSquare(a: Tensor2D): number {
  const [n, n2] = a.shape;
  if (n !== n2) throw new RangeError(`cholesky needs a square matrix, got [${a.shape.join(', ')}]`);
  return n;
}

/** Rows r0..r0+rows of x, whole, through gatherND. */
function takeRows(x: Tensor2D, r0: number, rows: number): Tensor2D {
  const indices = Int32Array.from({ length: rows }, (_, i) => r0 + i);
  return tf.gatherND(x, tf.tensor2d(indices, [rows, 1], 'int32')) as Tensor2D;
}

/** x[r0 : r0+rows, c0 : c0+cols] where c0, cols and x's width are multiples of nb: nb-wide chunks gathered. */
function takeBlock(x: Tensor2D, r0: number, rows: number, c0: number, cols: number, nb: number): Tensor2D {
  const perRow = x.shape[1] / nb;
  const chunks = cols / nb;
  const indices = new Int32Array(rows * chunks);
  for (let r = 0, p = 0; r < rows; r++) {
    for (let c = 0; c < chunks; c++, p++) indices[p] = (r0 + r) * perRow + c0 / nb + c;
  }
  const view = tf.reshape(x, [x.shape[0] * perRow, nb]);
  const taken = tf.gatherND(view, tf.tensor2d(indices, [indices.length, 1], 'int32'));
  return tf.reshape(taken, [rows, cols]) as Tensor2D;
}

/** x padded to [size, size] with an identity block on the new rows and columns. */
function padWithIdentity(x: Tensor2D, size: number): Tensor2D {
  const n = x.shape[0];
  if (size === n) return tf.clone(x);
  return tf.tidy(() =>
    tf.add(
      tf.pad(x, [
        [0, size - n],
        [0, size - n],
      ]),
      tf.pad(tf.eye(size - n), [
        [n, 0],
        [n, 0],
      ]),
    ),
  ) as Tensor2D;
}

/**
 * The lower Cholesky factor L of a small symmetric positive definite block and (L^-1)^T, in float64 on the
 * host (row-major nb x nb; the lower triangle is read). A block that is not positive definite is a RangeError
 * naming the global pivot.
 */
function factorBlock(
  block: Float32Array,
  nb: number,
  offset: number,
): { factor: Float32Array; inverseT: Float32Array } {
  const l = new Float64Array(nb * nb);
  for (let j = 0; j < nb; j++) {
    let d = block[j * nb + j] as number;
    for (let k = 0; k < j; k++) d -= (l[j * nb + k] as number) ** 2;
    if (!(d > 0)) throw new RangeError(`matrix is not positive definite (pivot ${offset + j} is ${d})`);
    const ljj = Math.sqrt(d);
    l[j * nb + j] = ljj;
    for (let i = j + 1; i < nb; i++) {
      let v = block[i * nb + j] as number;
      for (let k = 0; k < j; k++) v -= (l[i * nb + k] as number) * (l[j * nb + k] as number);
      l[i * nb + j] = v / ljj;
    }
  }
  // T = L^-1 (lower) one identity column at a time; written out transposed.
  const out = new Float32Array(nb * nb);
  const t = new Float64Array(nb);
  for (let c = 0; c < nb; c++) {
    t.fill(0);
    for (let i = c; i < nb; i++) {
      let v = i === c ? 1 : 0;
      for (let k = c; k < i; k++) v -= (l[i * nb + k] as number) * (t[k] as number);
      t[i] = v / (l[i * nb + i] as number);
      out[c * nb + i] = t[i] as number;
    }
  }
  return { factor: Float32Array.from(l), inverseT: out };
}

interface Factored {
  /** L, [size, size] (padded). */
  lower: Tensor2D;
  /** V = L^-T, [size, size], only when asked for. */
  inverseUpper: Tensor2D | null;
}

/** The left-looking loop over a padded matrix (size a multiple of nb). The caller disposes what it returns. */
function factor(a: Tensor2D, nb: number, withInverse: boolean): Factored {
  const size = a.shape[0];
  let lower: Tensor2D | null = null;
  let upperInverse: Tensor2D | null = null;
  for (let k0 = 0; k0 < size; k0 += nb) {
    const m = size - k0;
    const previousLower: Tensor2D | null = lower;
    const previousInverse: Tensor2D | null = upperInverse;
    // panel = A[k:, k] - L[k:, :k] L[k, :k]^T; rowT = L[k, :k]^T.
    const [panel, rowT] = tf.tidy((): Tensor2D[] => {
      const column = takeBlock(a, k0, m, k0, nb, nb);
      if (!previousLower) return [column];
      const below = takeRows(previousLower, k0, m);
      const rowT = tf.transpose(takeRows(previousLower, k0, nb)) as Tensor2D;
      return [tf.sub(column, tf.matMul(below, rowT)) as Tensor2D, rowT];
    }) as [Tensor2D, Tensor2D | undefined];
    let block: { factor: Float32Array; inverseT: Float32Array };
    try {
      const diagonal = tf.tidy(() => takeRows(panel, 0, nb));
      const values = diagonal.dataSync() as Float32Array;
      diagonal.dispose();
      block = factorBlock(values, nb, k0);
    } catch (error) {
      tf.dispose([
        panel,
        ...(rowT ? [rowT] : []),
        ...(lower ? [lower] : []),
        ...(upperInverse ? [upperInverse] : []),
      ]);
      throw error;
    }
    const next = tf.tidy((): Tensor2D[] => {
      const tT = tf.tensor2d(block.inverseT, [nb, nb]);
      // The diagonal block as the host computed it (exactly lower triangular), the rest as panel L_kk^-T.
      const diagonalFactor = tf.tensor2d(block.factor, [nb, nb]);
      const column =
        m > nb ? tf.concat([diagonalFactor, tf.matMul(takeRows(panel, nb, m - nb), tT)], 0) : diagonalFactor;
      const full =
        k0 > 0
          ? tf.pad(column, [
              [k0, 0],
              [0, 0],
            ])
          : column;
      const nextLower = previousLower ? tf.concat([previousLower, full], 1) : full;
      if (!withInverse) return [nextLower as Tensor2D];
      // V[:k, k] = -V[:k, :k] L[k, :k]^T L_kk^-T; V[k, k] = L_kk^-T.
      if (!previousInverse || !rowT) return [nextLower as Tensor2D, tT];
      const top = tf.neg(tf.matMul(tf.matMul(previousInverse, rowT), tT));
      const nextInverse = tf.concat(
        [
          tf.concat([previousInverse, top], 1),
          tf.pad(tT, [
            [0, 0],
            [k0, 0],
          ]),
        ],
        0,
      );
      return [nextLower as Tensor2D, nextInverse as Tensor2D];
    });
    lower = next[0] as Tensor2D;
    upperInverse = next[1] ?? null;
    tf.dispose([panel, ...(rowT ? [rowT] : [])]);
    if (previousLower) previousLower.dispose();
    if (previousInverse) previousInverse.dispose();
  }
  return { lower: lower ?? tf.zeros([0, 0]), inverseUpper: upperInverse };
}

/** The padded size and input, consuming the original when asked. */
function prepare(a: Tensor2D, nb: number, options: BlockedCholeskyOptions): { padded: Tensor2D; n: number } {
  const n = checkSquare(a);
  const padded = padWithIdentity(a, Math.ceil(n / nb) * nb);
  if (options.consumeInput) a.dispose();
  return { padded, n };
}

/** The leading [n, n] of x (disposed), or x itself when it is that size. */
function leading(x: Tensor2D, n: number): Tensor2D {
  if (x.shape[0] === n) return x;
  const out = tf.tidy(() => tf.slice(x, [0, 0], [n, n]) as Tensor2D);
  x.dispose();
  return out;
}

/**
 * The lower Cholesky factor L (A = L L^T) of a symmetric positive definite matrix [n, n], blocked (see the
 * module notes); only A's lower triangle is read. A matrix that is not positive definite is a RangeError
 * naming the first failing pivot. Returns a new tensor; `a` is disposed only with `consumeInput`.
 * @example const l = blockedCholesky(tf.tensor2d([[4, 2], [2, 3]]), { blockSize: 1 }); // [[2, 0], [1, 1.414]]
 */
export function blockedCholesky(a: Tensor2D, options: BlockedCholeskyOptions = {}): Tensor2D {
  const nb = blockSizeOf(options);
  const { padded, n } = prepare(a, nb, options);
  try {
    return leading(factor(padded, nb, false).lower, n);
  } finally {
    padded.dispose();
  }
}

/**
 * The inverse of a symmetric positive definite matrix [n, n] through its blocked Cholesky factor: V = L^-T
 * alongside the factorisation, then P = V V^T by block columns of its upper half (matMuls [a1, n - a0] x
 * [n - a0, nb]) and the lower half mirrored. About 4 n^3 / 3 multiply-adds, all in matMuls, against LAPACK
 * potrf + potri's n^3. Returns a new tensor; `a` is disposed only with `consumeInput`. RangeError when `a`
 * is not positive definite.
 * @example const p = choleskyInverse(g, { blockSize: 256 }); // g p = I
 */
export function choleskyInverse(a: Tensor2D, options: BlockedCholeskyOptions = {}): Tensor2D {
  const nb = blockSizeOf(options);
  const { padded, n } = prepare(a, nb, options);
  let factored: Factored;
  try {
    factored = factor(padded, nb, true);
  } finally {
    padded.dispose();
  }
  factored.lower.dispose();
  const v = factored.inverseUpper;
  if (!v) return tf.zeros([n, n]);
  const size = v.shape[0];
  // P[:a1, a] for each block column a, kept [a1, nb].
  const columns: Tensor2D[] = [];
  try {
    for (let a0 = 0; a0 < size; a0 += nb) {
      const a1 = a0 + nb;
      columns.push(
        tf.tidy(() => {
          const left = takeBlock(v, 0, a1, a0, size - a0, nb);
          const rightT = tf.transpose(takeRows(left, a0, nb));
          return tf.matMul(left, rightT) as Tensor2D;
        }),
      );
    }
  } finally {
    v.dispose();
  }
  const full = tf.tidy(() => {
    const upper = tf.concat(
      columns.map((c) =>
        c.shape[0] < size
          ? tf.pad(c, [
              [0, size - c.shape[0]],
              [0, 0],
            ])
          : c,
      ),
      1,
    );
    // The strict upper half: each column without its diagonal block.
    const strict = tf.concat(
      columns.map((c) => {
        const a0 = c.shape[0] - nb;
        return a0 > 0
          ? tf.pad(takeRows(c, 0, a0), [
              [0, size - a0],
              [0, 0],
            ])
          : tf.zeros([size, nb]);
      }),
      1,
    );
    return tf.add(upper, tf.transpose(strict)) as Tensor2D;
  });
  tf.dispose(columns);
  return leading(full, n);
}
