import { tf, type Tensor2D, type Tensor3D } from './tf.js';

/**
 * Batched linear algebra in plain tf ops: TF.js has no Cholesky, `linalg.solve` or UnsortedSegmentSum kernel,
 * so the factorisation and the solves are written column by column over a batch of systems. Every function
 * here returns new tensors and disposes its intermediates; inputs are never disposed.
 */

/**
 * `A v` for a batch of square matrices and vectors ([b, n, n] x [b, n] -> [b, n]). Multiply + sum: WASM's
 * batched matMul kernel is slower than this for mat-vec shapes.
 * @example const av = batchedMatVec(a, v);
 */
export function batchedMatVec(a: Tensor3D, v: Tensor2D): Tensor2D {
  const [b, n] = v.shape;
  return tf.tidy(() => tf.sum(tf.mul(a, tf.reshape(v, [b, 1, n])), -1) as Tensor2D);
}

/**
 * The columns of the lower Cholesky factor of each matrix, column j without its j leading zeros: entry j
 * of the list is [b, n - j] and its first element is L[j][j]. Right-looking: each step takes one column of the
 * remaining Schur complement and shrinks it by one row and column.
 */
function choleskyColumns(a: Tensor3D): Tensor2D[] {
  const [b, n, n2] = a.shape;
  if (n !== n2) throw new RangeError(`cholesky needs square matrices, got [${a.shape.join(', ')}]`);
  const columns: Tensor2D[] = [];
  let schur: Tensor3D = a;
  for (let j = 0; j < n; j++) {
    const m = n - j;
    const current = schur;
    const column = tf.tidy(() => {
      const col = tf.reshape(tf.slice(current, [0, 0, 0], [b, m, 1]), [b, m]);
      return tf.div(col, tf.sqrt(tf.slice(col, [0, 0], [b, 1]))) as Tensor2D;
    });
    columns.push(column);
    if (m > 1) {
      schur = tf.tidy(() => {
        const tail = tf.slice(column, [0, 1], [b, m - 1]);
        const outer = tf.mul(tf.reshape(tail, [b, m - 1, 1]), tf.reshape(tail, [b, 1, m - 1]));
        return tf.sub(tf.slice(current, [0, 1, 1], [b, m - 1, m - 1]), outer) as Tensor3D;
      });
    }
    if (current !== a) current.dispose();
  }
  return columns;
}

/**
 * Lower Cholesky factor L (A = L L^T) of each symmetric positive definite matrix of a batch [b, n, n].
 * A matrix that is not positive definite gives NaN entries.
 * @example const l = cholesky(tf.tensor3d([[[4, 2], [2, 3]]])); // [[[2, 0], [1, 1.414]]]
 */
export function cholesky(a: Tensor3D): Tensor3D {
  const columns = choleskyColumns(a);
  try {
    return tf.tidy(
      () =>
        tf.stack(
          columns.map((c, j) =>
            tf.pad(c, [
              [0, 0],
              [j, 0],
            ]),
          ),
          2,
        ) as Tensor3D,
    );
  } finally {
    tf.dispose(columns);
  }
}

/**
 * Solves A x = rhs for every system of a batch (A [b, n, n] symmetric positive definite, rhs [b, n]) through
 * a Cholesky factorisation, forward substitution with L and back substitution with L^T.
 * @example const x = choleskySolve(a, rhs); // [b, n]
 */
export function choleskySolve(a: Tensor3D, rhs: Tensor2D): Tensor2D {
  const [b, n] = rhs.shape;
  if (a.shape[0] !== b || a.shape[1] !== n) {
    throw new RangeError(
      `system [${a.shape.join(', ')}] does not match right-hand side [${rhs.shape.join(', ')}]`,
    );
  }
  const columns = choleskyColumns(a);
  try {
    return tf.tidy(() => {
      // Forward: z_j = rem_j / L_jj, then remove z_j times column j from the remaining right-hand side.
      const z: Tensor2D[] = [];
      let rem: Tensor2D = rhs;
      for (let j = 0; j < n; j++) {
        const col = columns[j] as Tensor2D;
        const m = n - j;
        const zj = tf.div(tf.slice(rem, [0, 0], [b, 1]), tf.slice(col, [0, 0], [b, 1])) as Tensor2D;
        z.push(zj);
        if (m > 1)
          rem = tf.sub(tf.slice(rem, [0, 1], [b, m - 1]), tf.mul(zj, tf.slice(col, [0, 1], [b, m - 1])));
      }
      // Back: x_j = (z_j - L[j+1:, j] . x[j+1:]) / L_jj, from the last unknown up.
      let tail: Tensor2D | null = null;
      for (let j = n - 1; j >= 0; j--) {
        const col = columns[j] as Tensor2D;
        const m = n - j;
        let numerator = z[j] as Tensor2D;
        if (tail) {
          const below = tf.slice(col, [0, 1], [b, m - 1]);
          numerator = tf.sub(numerator, tf.sum(tf.mul(below, tail), -1, true));
        }
        const xj = tf.div(numerator, tf.slice(col, [0, 0], [b, 1])) as Tensor2D;
        tail = tail ? (tf.concat([xj, tail], 1) as Tensor2D) : xj;
      }
      return tail as Tensor2D;
    });
  } finally {
    tf.dispose(columns);
  }
}

/**
 * Solves A x = rhs for each of b small symmetric positive definite systems on the host, in float64 (A
 * row-major [b, n, n], rhs [b, n]). For fold-in sized batches this beats `choleskySolve`: about 0.1 ms per
 * 64 x 64 system against ~1,700 tf ops (10+ ms on WASM) for any batch. A matrix that is not positive definite
 * gives NaN.
 * @example const x = hostCholeskySolve(a.dataSync() as Float32Array, rhs.dataSync() as Float32Array, b, n);
 */
export function hostCholeskySolve(a: Float32Array, rhs: Float32Array, b: number, n: number): Float32Array {
  if (a.length !== b * n * n || rhs.length !== b * n) {
    throw new RangeError(
      `expected [${b}, ${n}, ${n}] and [${b}, ${n}], got ${a.length} and ${rhs.length} values`,
    );
  }
  const out = new Float32Array(b * n);
  const l = new Float64Array(n * n);
  const z = new Float64Array(n);
  for (let s = 0; s < b; s++) {
    const ao = s * n * n;
    for (let j = 0; j < n; j++) {
      let d = a[ao + j * n + j] as number;
      for (let k = 0; k < j; k++) d -= (l[j * n + k] as number) ** 2;
      const ljj = Math.sqrt(d);
      l[j * n + j] = ljj;
      for (let i = j + 1; i < n; i++) {
        let v = a[ao + i * n + j] as number;
        for (let k = 0; k < j; k++) v -= (l[i * n + k] as number) * (l[j * n + k] as number);
        l[i * n + j] = v / ljj;
      }
    }
    for (let i = 0; i < n; i++) {
      let v = rhs[s * n + i] as number;
      for (let k = 0; k < i; k++) v -= (l[i * n + k] as number) * (z[k] as number);
      z[i] = v / (l[i * n + i] as number);
    }
    for (let i = n - 1; i >= 0; i--) {
      let v = z[i] as number;
      for (let k = i + 1; k < n; k++) v -= (l[k * n + i] as number) * (out[s * n + k] as number);
      out[s * n + i] = v / (l[i * n + i] as number);
    }
  }
  return out;
}

/** How a conjugate-gradient solve starts: from the right-hand side, or from a residual the caller has. */
export type CgStart =
  | { rhs: Tensor2D }
  /** r0 = rhs - A x0, computed by the caller (fused with other work). */
  | { residual: Tensor2D };

export interface CgOptions {
  /** Iterations (implicit's `cg_steps`; n steps solve an n-dimensional system exactly in exact arithmetic). */
  steps: number;
  /** A row stops once its squared residual norm falls below this (implicit uses 1e-20). */
  tolerance?: number;
  /** Also return how much each row's objective 1/2 x^T A x - rhs^T x fell (costs a few [b, n] ops). */
  trackObjective?: boolean;
}

export interface CgResult {
  x: Tensor2D;
  /**
   * [b, 1]: objective(x0) - objective(x), summed over the steps as alpha (p.r) - alpha^2 (p.Ap) / 2 (exact for
   * a line search along p); null unless `trackObjective`. Lets a caller know the objective at x from its
   * value at x0 without another product with A.
   */
  decrease: Tensor2D | null;
}

/**
 * Batched conjugate gradient for symmetric positive definite systems given as an operator `apply(v) = A v`
 * ([b, n] -> [b, n]), warm-started from x0 (benfred/implicit's `_least_squares_cg`, row by row: rows whose
 * residual is already below the tolerance are left as they are). Each step runs in its own tidy, so memory
 * does not grow with the number of steps.
 * @example const { x } = conjugateGradient((v) => batchedMatVec(a, v), x0, { rhs }, { steps: 3 });
 */
export function conjugateGradient(
  apply: (v: Tensor2D) => Tensor2D,
  x0: Tensor2D,
  start: CgStart,
  options: CgOptions,
): CgResult {
  const tolerance = options.tolerance ?? 1e-20;
  const [b] = x0.shape;
  let x = tf.clone(x0);
  let r = 'rhs' in start ? tf.tidy(() => tf.sub(start.rhs, apply(x0)) as Tensor2D) : tf.clone(start.residual);
  let decrease: Tensor2D | null = options.trackObjective ? (tf.zeros([b, 1]) as Tensor2D) : null;
  let p = tf.clone(r);
  let rsOld = tf.tidy(() => tf.sum(tf.square(r), -1, true) as Tensor2D);
  let active = tf.tidy(() => tf.greaterEqual(rsOld, tolerance));
  for (let step = 0; step < options.steps; step++) {
    const [x2, r2, p2, rs2, active2, decrease2] = tf.tidy(() => {
      const ap = apply(p);
      const pAp = tf.sum(tf.mul(p, ap), -1, true);
      const alpha = tf.where(active, tf.div(rsOld, pAp), tf.zerosLike(pAp));
      const rNext = tf.sub(r, tf.mul(alpha, ap));
      const rsNew = tf.sum(tf.square(rNext), -1, true);
      const stillActive = tf.logicalAnd(active, tf.greaterEqual(rsNew, tolerance));
      const beta = tf.where(stillActive, tf.div(rsNew, rsOld), tf.zerosLike(rsNew));
      const out = [tf.add(x, tf.mul(alpha, p)), rNext, tf.add(rNext, tf.mul(beta, p)), rsNew, stillActive];
      if (decrease) {
        const pr = tf.sum(tf.mul(p, r), -1, true);
        out.push(tf.add(decrease, tf.sub(tf.mul(alpha, pr), tf.mul(tf.mul(0.5, tf.square(alpha)), pAp))));
      }
      return out;
    }) as Tensor2D[];
    tf.dispose([x, r, p, rsOld, active, ...(decrease ? [decrease] : [])]);
    [x, r, p, rsOld, active] = [x2, r2, p2, rs2, active2] as [
      Tensor2D,
      Tensor2D,
      Tensor2D,
      Tensor2D,
      Tensor2D,
    ];
    decrease = decrease2 ?? null;
  }
  tf.dispose([r, p, rsOld, active]);
  return { x, decrease };
}
