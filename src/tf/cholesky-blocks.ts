/**
 * Block plumbing for the recursive factorisations of `cholesky-blocked.ts`: sub-blocks taken with gatherND
 * (a WASM `slice` copies its whole input before cutting), identity padding, and assembly of a matrix from
 * blocks, in tf ops or once on the host.
 */
import { tf, type Tensor2D } from './tf.js';

/**
 * Rows r0..r0+rows of x, whole, through gatherND.
 * @example const top = takeRows(x, 0, 128); // x[0:128, :]
 */
export function takeRows(x: Tensor2D, r0: number, rows: number): Tensor2D {
  const indices = Int32Array.from({ length: rows }, (_, i) => r0 + i);
  return tf.tidy(() => tf.gatherND(x, tf.tensor2d(indices, [rows, 1], 'int32')) as Tensor2D);
}

/**
 * x[r0 : r0+rows, c0 : c0+cols] where c0, cols and x's width are multiples of `chunk`: pieces gathered.
 * @example const a12 = takeBlock(a, 0, 64, 64, 96, 32); // a[0:64, 64:160]
 */
export function takeBlock(
  x: Tensor2D,
  r0: number,
  rows: number,
  c0: number,
  cols: number,
  chunk: number,
): Tensor2D {
  if (c0 === 0 && cols === x.shape[1]) return takeRows(x, r0, rows);
  const perRow = x.shape[1] / chunk;
  const pieces = cols / chunk;
  const indices = new Int32Array(rows * pieces);
  for (let r = 0, p = 0; r < rows; r++) {
    const first = (r0 + r) * perRow + c0 / chunk;
    for (let c = 0; c < pieces; c++, p++) indices[p] = first + c;
  }
  return tf.tidy(() => {
    const view = tf.reshape(x, [x.shape[0] * perRow, chunk]);
    const taken = tf.gatherND(view, tf.tensor2d(indices, [indices.length, 1], 'int32'));
    return tf.reshape(taken, [rows, cols]) as Tensor2D;
  });
}

/**
 * Blocks of a square x split at m1: [x11, x12, x21, x22], x21 left out (null) unless `lowerLeft`; x itself is
 * disposed when `own`.
 * @example const [a11, a12, , a22] = quarters(a, 64, 32, true, false);
 */
export function quarters(
  x: Tensor2D,
  m1: number,
  chunk: number,
  own: boolean,
  lowerLeft: boolean,
): [Tensor2D, Tensor2D, Tensor2D | null, Tensor2D] {
  const m = x.shape[0];
  const m2 = m - m1;
  const blocks: [Tensor2D, Tensor2D, Tensor2D | null, Tensor2D] = [
    takeBlock(x, 0, m1, 0, m1, chunk),
    takeBlock(x, 0, m1, m1, m2, chunk),
    lowerLeft ? takeBlock(x, m1, m2, 0, m1, chunk) : null,
    takeBlock(x, m1, m2, m1, m2, chunk),
  ];
  if (own) x.dispose();
  return blocks;
}

/**
 * x padded to [size, size] with an identity block on the new rows and columns.
 * @example const padded = padWithIdentity(a, 3712); // [[a, 0], [0, I]]
 */
export function padWithIdentity(x: Tensor2D, size: number): Tensor2D {
  const n = x.shape[0];
  if (size === n) return tf.clone(x);
  const extra = size - n;
  return tf.tidy(() =>
    tf.concat([tf.concat([x, tf.zeros([n, extra])], 1), tf.concat([tf.zeros([extra, n]), tf.eye(extra)], 1)]),
  ) as Tensor2D;
}

/** A block of a matrix and where its top-left corner goes. */
export interface Placed {
  block: Tensor2D;
  row: number;
  col: number;
}

/**
 * The leading [n, n] of the matrix made of `blocks` (zero elsewhere), written once on the host: one pass over
 * each block instead of a concat per recursion level and a `slice` (which copies its whole input on WASM) to
 * cut the padding. The blocks are disposed.
 * @example const l = fromBlocks(3706, [{ block: l11, row: 0, col: 0 }, { block: l21, row: 1856, col: 0 }]);
 */
export function fromBlocks(n: number, blocks: Placed[]): Tensor2D {
  const out = new Float32Array(n * n);
  for (const { block, row, col } of blocks) {
    const [rows, cols] = block.shape;
    const width = Math.min(cols, n - col);
    if (width > 0 && row < n) {
      const data = block.dataSync() as Float32Array;
      for (let r = 0; r < Math.min(rows, n - row); r++) {
        out.set(data.subarray(r * cols, r * cols + width), (row + r) * n + col);
      }
    }
    block.dispose();
  }
  return tf.tensor2d(out, [n, n]);
}

/**
 * [[a, b], [c, d]] as one matrix; the four are disposed.
 * @example const p = assemble(p11, p12, p21, p22);
 */
export function assemble(a: Tensor2D, b: Tensor2D, c: Tensor2D, d: Tensor2D): Tensor2D {
  const top = tf.concat([a, b], 1);
  const bottom = tf.concat([c, d], 1);
  tf.dispose([a, b, c, d]);
  const out = tf.concat([top, bottom], 0) as Tensor2D;
  tf.dispose([top, bottom]);
  return out;
}
