import type { CsrMatrix } from '../dataset/types.js';
import { batchedMatVec, choleskySolve, conjugateGradient, hostCholeskySolve } from '../tf/linalg.js';
import { gatherRows, rowBatch, rowDots, rowWeightedSums, type RowBatch } from '../tf/rows.js';
import { tf, type Tensor2D, type Tensor3D } from '../tf/tf.js';
import {
  paddedBucket,
  planBuckets,
  type Bucket,
  type PaddedBucket,
  type ValueConvention,
} from './als-buckets.js';

/**
 * One ALS half-step in tf ops: every row of this side (a user, or an item) gets the least-squares solution of
 *   (G + lambda_row I + Y_u^T diag(w) Y_u) x = Y_u^T t
 * against the other side's factors Y, with G = Y^T Y (implicit) or 0 (explicit; lambda_row = lambda n_u,
 * weighted-lambda regularisation). Per bucket, the other side's rows are gathered once into [rows, width, f];
 * each CG step then costs one batch of dot products and one batch of weighted sums (src/tf/rows.ts picks the
 * fastest ops per backend), so no f x f matrix is built per row. The same code runs in the main thread and in
 * worker threads (als-worker.ts).
 */

export interface AlsSolveSettings extends ValueConvention {
  factors: number;
  regularization: number;
  solver: 'cg' | 'cholesky';
  cgSteps: number;
}

export interface HalfStepInput {
  settings: AlsSolveSettings;
  /** This side's rows x other side's columns (user-items for the user half-step). */
  matrix: CsrMatrix;
  buckets: readonly Bucket[];
  /** Which buckets to solve (indices into `buckets`). */
  bucketIds: ArrayLike<number>;
  /** This side's factors, row-major [matrix.nRows, f]: read as the warm start, solved rows written back. */
  own: Float32Array;
  /** The other side's factors, row-major [matrix.nCols, f]. */
  other: Float32Array;
  /** Also return each bucket's loss terms (a few [rows, f] ops per bucket, no extra pass). */
  computeLoss: boolean;
}

/** Loss terms of one bucket, summed in float64 (see `solveHalfStep`). */
export const LOSS_TERMS = 3;

/**
 * Solves the listed buckets in place in `own`. Returns LOSS_TERMS numbers per listed bucket (zeros unless
 * `computeLoss`): [data, regularisation, constant], where data + regularisation + constant summed over
 * every bucket of a half-step is the training objective with these factors: implicit's
 * sum c (p - x.y)^2 over all pairs + lambda |Y|^2 (the other side's lambda |X|^2 is the caller's), explicit's
 * squared error (data + constant) and lambda n |x|^2.
 * @example const terms = solveHalfStep({ settings, matrix: userItems, buckets, bucketIds, own, other, computeLoss: false });
 */
export function solveHalfStep(input: HalfStepInput): Float64Array {
  const { settings, matrix, buckets, bucketIds, own, other, computeLoss } = input;
  const f = settings.factors;
  const terms = new Float64Array(bucketIds.length * LOSS_TERMS);
  const otherFactors = tf.tensor2d(other, [matrix.nCols, f]);
  // Implicit: the gram matrix of all the other side's factors plus lambda I, once per half-step (one 2-D matMul
  // with a pre-transposed operand; matMul(a, b, true) leaves WASM's fast path).
  const gram = settings.explicit
    ? null
    : tf.tidy(
        () =>
          tf.add(
            tf.matMul(tf.transpose(otherFactors), otherFactors),
            tf.mul(tf.eye(f), settings.regularization),
          ) as Tensor2D,
      );
  try {
    for (let j = 0; j < bucketIds.length; j++) {
      const bucket = buckets[bucketIds[j] as number];
      if (!bucket) throw new RangeError(`bucket ${bucketIds[j]} does not exist`);
      const padded = paddedBucket(matrix, bucket, settings);
      const solved = solveBucket(padded, own, otherFactors, gram, settings, computeLoss);
      const b = padded.rows.length;
      for (let q = 0; q < b; q++) {
        own.set(solved.x.subarray(q * f, (q + 1) * f), (padded.rows[q] as number) * f);
      }
      if (computeLoss) terms.set([solved.data, solved.reg, padded.constant], j * LOSS_TERMS);
    }
  } finally {
    otherFactors.dispose();
    gram?.dispose();
  }
  return terms;
}

/**
 * Y^T Y + lambda I of a factor matrix [n, f]: one 2-D matMul with a pre-transposed operand
 * (matMul(a, b, true) leaves WASM's fast path).
 * @example const gram = gramMatrix(itemFactors, 0.01);
 */
export function gramMatrix(factors: Tensor2D, regularization: number): Tensor2D {
  const f = factors.shape[1];
  return tf.tidy(
    () => tf.add(tf.matMul(tf.transpose(factors), factors), tf.mul(tf.eye(f), regularization)) as Tensor2D,
  );
}

/**
 * Exact least-squares factors of every row of `matrix` against fixed other-side factors, as implicit's
 * `recalculate_user` does for fold-in: each row's f x f system built with tf ops, solved by a host Cholesky
 * (0.6 ms for one ml-1m user at 64 factors, against 17 ms with the tf-op solve). `gram` is
 * gramMatrix(otherFactors) for implicit, null for explicit. Empty rows get zero factors. Returns row-major
 * [matrix.nRows, f].
 * @example const userVectors = solveRowsExactly(histories, itemFactors, gram, settings);
 */
export function solveRowsExactly(
  matrix: CsrMatrix,
  otherFactors: Tensor2D,
  gram: Tensor2D | null,
  settings: AlsSolveSettings,
): Float32Array {
  const f = settings.factors;
  const out = new Float32Array(matrix.nRows * f);
  for (const bucket of planBuckets(matrix, { batchSize: 256, maxEntries: 1 << 17 })) {
    const padded = paddedBucket(matrix, bucket, settings);
    const b = padded.rows.length;
    // The systems are built with tf ops; the small dense solves run on the host (see hostCholeskySolve).
    const [a, rhs] = tf.tidy(() => {
      const batch = rowBatch(gatherRows(otherFactors, padded.columns), b, padded.width);
      const system = normalEquations(batch, padded, gram, settings);
      return [system.a, system.rhs];
    });
    try {
      const x = hostCholeskySolve(a.dataSync() as Float32Array, rhs.dataSync() as Float32Array, b, f);
      for (let q = 0; q < b; q++) out.set(x.subarray(q * f, (q + 1) * f), (padded.rows[q] as number) * f);
    } finally {
      tf.dispose([a, rhs]);
    }
  }
  return out;
}

/** Each row's full system: A = G + lambda_row I + Y_u^T diag(w) Y_u ([b, f, f]) and rhs = Y_u^T t ([b, f]). */
function normalEquations(
  batch: RowBatch,
  padded: PaddedBucket,
  gram: Tensor2D | null,
  settings: AlsSolveSettings,
) {
  const { width, weight, target, counts } = padded;
  const b = padded.rows.length;
  const f = settings.factors;
  const w = tf.tensor3d(weight, [b, width, 1]);
  const product = tf.matMul(tf.mul(batch.rows, w), batch.rows, true, false) as Tensor3D;
  const diagonal = gram
    ? tf.reshape(gram, [1, f, f])
    : tf.mul(tf.reshape(tf.mul(tf.tensor1d(counts), settings.regularization), [b, 1, 1]), tf.eye(f));
  return {
    a: tf.add(product, diagonal) as Tensor3D,
    rhs: rowWeightedSums(batch, tf.tensor2d(target, [b, width])),
  };
}

function solveBucket(
  padded: PaddedBucket,
  own: Float32Array,
  otherFactors: Tensor2D,
  gram: Tensor2D | null,
  settings: AlsSolveSettings,
  computeLoss: boolean,
): { x: Float32Array; data: number; reg: number } {
  const { rows, width, columns, target, weight, counts } = padded;
  const b = rows.length;
  const f = settings.factors;
  const warm = new Float32Array(b * f);
  for (let q = 0; q < b; q++) {
    const row = rows[q] as number;
    warm.set(own.subarray(row * f, (row + 1) * f), q * f);
  }
  const out = tf.tidy(() => {
    const x0 = tf.tensor2d(warm, [b, f]);
    const batch = rowBatch(gatherRows(otherFactors, columns), b, width);
    const t = tf.tensor2d(target, [b, width]);
    const w = tf.tensor2d(weight, [b, width]);
    // lambda n_u per row for explicit (weighted-lambda); implicit's lambda sits in the gram matrix.
    const rowReg = settings.explicit ? tf.mul(tf.tensor2d(counts, [b, 1]), settings.regularization) : null;
    const dense = (v: Tensor2D): Tensor2D =>
      (gram ? tf.matMul(v, gram) : tf.mul(rowReg as tf.Tensor, v)) as Tensor2D;
    const apply = (v: Tensor2D): Tensor2D =>
      tf.add(dense(v), rowWeightedSums(batch, tf.mul(w, rowDots(batch.rows, v)))) as Tensor2D;

    // twiceObjective = x^T A x - 2 rhs.x per row at the solution (A includes lambda_row I).
    let x: Tensor2D;
    let twiceObjective: tf.Tensor | null = null;
    if (settings.solver === 'cholesky') {
      const { a, rhs } = normalEquations(batch, padded, gram, settings);
      x = choleskySolve(a, rhs);
      if (computeLoss) {
        twiceObjective = tf.sub(
          tf.sum(tf.mul(x, batchedMatVec(a, x)), -1),
          tf.mul(2, tf.sum(tf.mul(rhs, x), -1)),
        );
      }
    } else {
      // r0 = Y^T t - A x0 with the two weighted sums fused into one (implicit's residual loop).
      const dots0 = rowDots(batch.rows, x0);
      const residual = tf.sub(rowWeightedSums(batch, tf.sub(t, tf.mul(w, dots0))), dense(x0)) as Tensor2D;
      const cg = conjugateGradient(
        apply,
        x0,
        { residual },
        { steps: settings.cgSteps, trackObjective: computeLoss },
      );
      x = cg.x;
      if (computeLoss && cg.decrease) {
        // At x0: x0^T A x0 - 2 rhs.x0 = -x0.r0 - rhs.x0, and rhs.x0 = sum_l t_l (y_l . x0) from the dots
        // already taken; CG tracked how much the objective fell since. No extra pass over the interactions.
        const rhsX0 = tf.sum(tf.mul(t, dots0), -1);
        const atStart = tf.neg(tf.add(tf.sum(tf.mul(x0, residual), -1), rhsX0));
        twiceObjective = tf.sub(atStart, tf.mul(2, tf.reshape(cg.decrease, [b])));
      }
    }
    if (!twiceObjective) return [x];
    const norms = tf.sum(tf.square(x), -1);
    const reg = settings.explicit
      ? tf.mul(tf.reshape(rowReg as tf.Tensor, [b]), norms)
      : tf.mul(norms, settings.regularization);
    return [x, tf.stack([twiceObjective, reg], 1)];
  });
  try {
    const x = out[0]!.dataSync() as Float32Array;
    if (!out[1]) return { x, data: 0, reg: 0 };
    const perRow = out[1].dataSync();
    let data = 0;
    let reg = 0;
    for (let q = 0; q < b; q++) {
      // The data term is x^T A x - 2 rhs.x without the lambda_row |x|^2 that A carries.
      data += (perRow[q * 2] as number) - (perRow[q * 2 + 1] as number);
      reg += perRow[q * 2 + 1] as number;
    }
    return { x, data, reg };
  } finally {
    tf.dispose(out);
  }
}
