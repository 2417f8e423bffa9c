/**
 * Cholesky factorisation and inverse of one n x n symmetric positive definite matrix in tf ops, recursive
 * (divide and conquer): each level splits the matrix in two halves, recurses on the two diagonal halves and
 * does everything else as a few large 2-D matMuls with untransposed operands (WASM's fast path; a transposed
 * operand is 10-50x slower, so operands are transposed once with `tf.transpose`). Only the leaves, diagonal
 * blocks of at most `blockSize` rows, are factored on the host in float64 (`cholesky-leaf.ts`).
 *
 * The inverse (`choleskyInverse`) is block LDL^T by Schur complements, with A = [A11 A12; A21 A22]:
 *   X = A11^-1 (recursion), W = -A21 X, S = A22 + W A12 (the Schur complement, SPD when A is),
 *   Y = S^-1 (recursion), P21 = Y W, P12 = P21^T, P11 = X + P12 W, P = [P11 P12; P21 Y].
 * S and P11 are symmetric, so their updates compute the blocks on and below the diagonal only, recursively
 * (`symmetricSum`); with that the inverse runs ~1.1 n^3 flops (4 n^3 / 3 without) against LAPACK potrf +
 * potri's nominal n^3, which the bench counts.
 * The factor alone (`blockedCholesky`): L11 = chol(A11), Z = L11^-1 A12 (a recursive triangular solve whose
 * leaves multiply by the host's leaf inverse), L21 = Z^T, L22 = chol(A22 - L21 Z) (a symmetric update):
 * ~0.41 n^3 flops against the nominal n^3 / 3.
 * Right operands wider than a few leaves are multiplied in column panels (`product`). Sub-blocks are taken with gatherND over `chunk`-wide pieces (a WASM `slice` copies its whole input before
 * cutting); the matrix is padded to a multiple of the chunk (32, or the block size when smaller) with an
 * identity block, which leaves L and P unchanged on the original rows and columns.
 */
import {
  assemble,
  fromBlocks,
  padWithIdentity,
  quarters,
  takeBlock,
  takeRows,
  type Placed,
} from './cholesky-blocks.js';
import { leafCholesky, leafLowerInverse, leafSpdInverse } from './cholesky-leaf.js';
import { tf, type Tensor2D } from './tf.js';

/** The largest diagonal block factored on the host when none is given (the recursion's leaf size). */
export const DEFAULT_CHOLESKY_BLOCK = 128;

/** Columns per gathered piece: split points and leaf sizes are multiples of it. */
const CHUNK = 32;

export interface BlockedCholeskyOptions {
  /** The largest diagonal block factored on the host (the leaf size); default DEFAULT_CHOLESKY_BLOCK. */
  blockSize?: number;
  /** Dispose the input once it is no longer needed (saves n^2 floats at the peak of an inverse). */
  consumeInput?: boolean;
}

/**
 * The recursion's sizes, all multiples of the chunk. At the default leaf of 128: symmetric updates of up to 256
 * rows are one matMul, and right operands above 1,024 x 1,024 are multiplied in 512-column panels.
 */
interface Layout {
  leaf: number;
  chunk: number;
  /** Symmetric updates (`symmetricSum`) of at most this many rows are one full matMul. */
  symmetricLeaf: number;
  /** A matMul's right operand with more rows and columns than this runs by column panels of `panel`. */
  wide: number;
  panel: number;
}

function layoutOf(options: BlockedCholeskyOptions): Layout {
  const nb = options.blockSize ?? DEFAULT_CHOLESKY_BLOCK;
  if (!Number.isInteger(nb) || nb < 1)
    throw new RangeError(`blockSize must be a positive integer, got ${nb}`);
  const chunk = Math.min(nb, CHUNK);
  const panel = chunk * Math.max(1, Math.floor((4 * nb) / chunk));
  return { leaf: nb, chunk, symmetricLeaf: 2 * nb, wide: 8 * nb, panel };
}

function checkSquare(a: Tensor2D): number {
  const [n, n2] = a.shape;
  if (n !== n2) throw new RangeError(`cholesky needs a square matrix, got [${a.shape.join(', ')}]`);
  return n;
}

/** The split of m rows (a multiple of the chunk, above the leaf size): two multiples of the chunk. */
function splitOf(m: number, chunk: number): [number, number] {
  const m1 = chunk * Math.floor(m / chunk / 2);
  return [m1, m - m1];
}

/**
 * a b as a matMul, by column panels of b when b is large both ways: WASM's matMul packs its whole right
 * operand, and one of more than ~1,000 x 1,000 runs at 60-80% of the speed of narrow panels (measured
 * [3712, 3712] x [3712, 3712]: 23 GFLOP/s whole, 38-40 in 512-column panels; [1856]^3: 29 vs 36), while
 * panels of a short one (128 rows) run at half the speed of the whole (20 vs 33-39).
 */
function product(a: Tensor2D, b: Tensor2D, layout: Layout): Tensor2D {
  const [k, n] = b.shape;
  if (n <= layout.wide || k <= layout.wide) return tf.matMul(a, b);
  const { chunk, panel: width } = layout;
  const parts: Tensor2D[] = [];
  for (let c0 = 0; c0 < n; c0 += width) {
    const panel = takeBlock(b, 0, k, c0, Math.min(width, n - c0), chunk);
    parts.push(tf.matMul(a, panel));
    panel.dispose();
  }
  const out = tf.concat(parts, 1) as Tensor2D;
  tf.dispose(parts);
  return out;
}

/**
 * c + sign l r for a result known to be symmetric (c [h, h] symmetric, l [h, k], r [k, h]): the lower blocks
 * only, recursively (the block above the diagonal is the one below, transposed), so 3/4 of the matMul at each
 * level down to the layout's symmetricLeaf rows. c is disposed.
 */
function symmetricSum(c: Tensor2D, l: Tensor2D, r: Tensor2D, sign: 1 | -1, layout: Layout): Tensor2D {
  const { chunk } = layout;
  const h = c.shape[0];
  const k = r.shape[0];
  const combine = (x: Tensor2D, y: Tensor2D): Tensor2D => {
    const out = (sign > 0 ? tf.add(x, y) : tf.sub(x, y)) as Tensor2D;
    tf.dispose([x, y]);
    return out;
  };
  if (h <= layout.symmetricLeaf) return combine(c, product(l, r, layout));
  const [h1, h2] = splitOf(h, chunk);
  const c11 = takeBlock(c, 0, h1, 0, h1, chunk);
  const c21 = takeBlock(c, h1, h2, 0, h1, chunk);
  const c22 = takeBlock(c, h1, h2, h1, h2, chunk);
  c.dispose();
  const l1 = takeRows(l, 0, h1);
  const l2 = takeRows(l, h1, h2);
  const r1 = takeBlock(r, 0, k, 0, h1, chunk);
  const r2 = takeBlock(r, 0, k, h1, h2, chunk);
  const s21 = combine(c21, product(l2, r1, layout));
  const s11 = symmetricSum(c11, l1, r1, sign, layout);
  const s22 = symmetricSum(c22, l2, r2, sign, layout);
  tf.dispose([l1, l2, r1, r2]);
  return assemble(s11, tf.transpose(s21), s21, s22);
}

/** P = A^-1 by Schur complements (module notes); A (rows a multiple of the chunk) disposed when `own`. */
function spdInverse(a: Tensor2D, offset: number, layout: Layout, own: boolean): Tensor2D {
  const blocks = spdInverseBlocks(a, offset, layout, own);
  return blocks.length === 1 ? (blocks[0] as Placed).block : assemble(...blocksOf(blocks));
}

function blocksOf(blocks: Placed[]): [Tensor2D, Tensor2D, Tensor2D, Tensor2D] {
  return blocks.map((b) => b.block) as [Tensor2D, Tensor2D, Tensor2D, Tensor2D];
}

/** spdInverse as its four blocks P11, P12, P21, P22 placed (one block for a leaf). */
function spdInverseBlocks(a: Tensor2D, offset: number, layout: Layout, own: boolean): Placed[] {
  const m = a.shape[0];
  if (m <= layout.leaf) {
    const p = tf.tensor2d(leafSpdInverse(a.dataSync(), m, offset), [m, m]);
    if (own) a.dispose();
    return [{ block: p, row: 0, col: 0 }];
  }
  const [m1] = splitOf(m, layout.chunk);
  const [a11, a12, a21, a22] = quarters(a, m1, layout.chunk, own, true);
  const x = spdInverse(a11, offset, layout, true);
  const xa = product(a21 as Tensor2D, x, layout);
  a21?.dispose();
  const w = tf.neg(xa) as Tensor2D;
  xa.dispose();
  const s = symmetricSum(a22, w, a12, 1, layout);
  a12.dispose();
  const y = spdInverse(s, offset + m1, layout, true);
  const p21 = product(y, w, layout);
  const p12 = tf.transpose(p21) as Tensor2D;
  const p11 = symmetricSum(x, p12, w, 1, layout);
  w.dispose();
  return [
    { block: p11, row: 0, col: 0 },
    { block: p12, row: 0, col: m1 },
    { block: p21, row: m1, col: 0 },
    { block: y, row: m1, col: m1 },
  ];
}

/** A Cholesky factor kept as its recursion tree: a leaf with its inverse, or two halves and the block below. */
type Factor =
  | { size: number; lower: Tensor2D; inverse: Tensor2D }
  | { size: number; first: Factor; below: Tensor2D; second: Factor };

/** L^-1 c for the factor's L (c has the factor's rows); c is disposed. */
function solveLower(f: Factor, c: Tensor2D, layout: Layout): Tensor2D {
  if ('lower' in f) {
    const out = product(f.inverse, c, layout);
    c.dispose();
    return out;
  }
  const k1 = f.first.size;
  const c1 = takeRows(c, 0, k1);
  const c2 = takeRows(c, k1, f.size - k1);
  c.dispose();
  const y1 = solveLower(f.first, c1, layout);
  const update = product(f.below, y1, layout);
  const rest = tf.sub(c2, update) as Tensor2D;
  tf.dispose([c2, update]);
  const y2 = solveLower(f.second, rest, layout);
  const out = tf.concat([y1, y2], 0) as Tensor2D;
  tf.dispose([y1, y2]);
  return out;
}

/** The factor tree of A (rows a multiple of the chunk); A disposed when `own`. */
function factorTree(a: Tensor2D, offset: number, layout: Layout, own: boolean): Factor {
  const m = a.shape[0];
  if (m <= layout.leaf) {
    const l = leafCholesky(a.dataSync(), m, offset);
    if (own) a.dispose();
    return {
      size: m,
      lower: tf.tensor2d(Float32Array.from(l), [m, m]),
      inverse: tf.tensor2d(Float32Array.from(leafLowerInverse(l, m)), [m, m]),
    };
  }
  const [m1] = splitOf(m, layout.chunk);
  const [a11, a12, , a22] = quarters(a, m1, layout.chunk, own, false);
  const first = factorTree(a11, offset, layout, true);
  const z = solveLower(first, a12, layout);
  const below = tf.transpose(z) as Tensor2D;
  const s = symmetricSum(a22, below, z, -1, layout);
  z.dispose();
  const second = factorTree(s, offset + m1, layout, true);
  return { size: m, first, below, second };
}

/** The blocks of a factor tree's L placed at `offset` (the leaves' inverses are disposed). */
function lowerBlocks(f: Factor, offset: number, into: Placed[]): Placed[] {
  if ('lower' in f) {
    f.inverse.dispose();
    into.push({ block: f.lower, row: offset, col: offset });
  } else {
    lowerBlocks(f.first, offset, into);
    into.push({ block: f.below, row: offset + f.first.size, col: offset });
    lowerBlocks(f.second, offset + f.first.size, into);
  }
  return into;
}

/** Runs `work` on A padded to a multiple of the chunk; the leading [n, n] of the blocks it returns. */
function onPadded(
  a: Tensor2D,
  options: BlockedCholeskyOptions,
  work: (padded: Tensor2D, layout: Layout) => Placed[],
): Tensor2D {
  const layout = layoutOf(options);
  const n = checkSquare(a);
  return tf.tidy(() => {
    const padded = padWithIdentity(a, Math.ceil(n / layout.chunk) * layout.chunk);
    if (options.consumeInput) a.dispose();
    return fromBlocks(n, work(padded, layout));
  });
}

/**
 * The lower Cholesky factor L (A = L L^T) of a symmetric positive definite matrix [n, n], recursive (see the
 * module notes). A matrix that is not positive definite is a RangeError naming the first failing pivot.
 * Returns a new tensor; `a` is disposed only with `consumeInput`.
 * @example const l = blockedCholesky(tf.tensor2d([[4, 2], [2, 3]]), { blockSize: 1 }); // [[2, 0], [1, 1.414]]
 */
export function blockedCholesky(a: Tensor2D, options: BlockedCholeskyOptions = {}): Tensor2D {
  return onPadded(a, options, (padded, layout) => lowerBlocks(factorTree(padded, 0, layout, true), 0, []));
}

/**
 * The inverse of a symmetric positive definite matrix [n, n] by recursive block LDL^T (Schur complements, see
 * the module notes), leaves inverted on the host through their float64 Cholesky factor: 4 n^3 / 3 flops, all
 * but the leaves' in large matMuls. Returns a new tensor; `a` is disposed only with `consumeInput`.
 * RangeError naming the first failing pivot when `a` is not positive definite.
 * @example const p = choleskyInverse(g, { blockSize: 128 }); // g p = I
 */
export function choleskyInverse(a: Tensor2D, options: BlockedCholeskyOptions = {}): Tensor2D {
  return onPadded(a, options, (padded, layout) => spdInverseBlocks(padded, 0, layout, true));
}
