/**
 * The host side of the recursive factorisations in `cholesky-blocked.ts`: the leaves (diagonal blocks of at
 * most the block size) are factored here in float64, row-major, and only the O(n^3) work between them runs as
 * tf matMuls. A leaf of m rows costs about m^3 / 2 multiply-adds here (Cholesky m^3 / 6, L^-1 m^3 / 6, L^-T L^-1
 * m^3 / 6).
 */

/**
 * The lower Cholesky factor of a symmetric positive definite block (row-major m x m; only the lower triangle
 * is read), in float64. A pivot that is not positive is a RangeError naming its global index, offset + j.
 * @example leafCholesky([4, 2, 2, 3], 2, 0); // [2, 0, 1, 1.414...]
 */
export function leafCholesky(a: ArrayLike<number>, m: number, offset: number): Float64Array {
  const l = new Float64Array(m * m);
  for (let j = 0; j < m; j++) {
    const rowJ = j * m;
    let d = a[rowJ + j] as number;
    for (let k = 0; k < j; k++) d -= (l[rowJ + k] as number) ** 2;
    if (!(d > 0)) throw new RangeError(`matrix is not positive definite (pivot ${offset + j} is ${d})`);
    const ljj = Math.sqrt(d);
    l[rowJ + j] = ljj;
    for (let i = j + 1; i < m; i++) {
      const rowI = i * m;
      let v = a[rowI + j] as number;
      for (let k = 0; k < j; k++) v -= (l[rowI + k] as number) * (l[rowJ + k] as number);
      l[rowI + j] = v / ljj;
    }
  }
  return l;
}

/**
 * T = L^-1 of a lower triangular row-major m x m matrix (lower triangular itself), by forward substitution
 * one column at a time.
 * @example leafLowerInverse(Float64Array.from([2, 0, 1, 1]), 2); // [0.5, 0, -0.5, 1]
 */
export function leafLowerInverse(l: Float64Array, m: number): Float64Array {
  const t = new Float64Array(m * m);
  const column = new Float64Array(m);
  for (let c = 0; c < m; c++) {
    column.fill(0, 0, c);
    for (let i = c; i < m; i++) {
      const rowI = i * m;
      let v = i === c ? 1 : 0;
      for (let k = c; k < i; k++) v -= (l[rowI + k] as number) * (column[k] as number);
      const value = v / (l[rowI + i] as number);
      column[i] = value;
      t[rowI + c] = value;
    }
  }
  return t;
}

/**
 * The inverse of a symmetric positive definite block (row-major m x m, lower triangle read) as float32:
 * L^-T L^-1 through its float64 Cholesky factor. RangeError as `leafCholesky` when it is not positive definite.
 * @example leafSpdInverse([4, 0, 0, 2], 2, 0); // [0.25, 0, 0, 0.5]
 */
export function leafSpdInverse(a: ArrayLike<number>, m: number, offset: number): Float32Array {
  const t = leafLowerInverse(leafCholesky(a, m, offset), m);
  const p = new Float64Array(m * m);
  // P = T^T T: P[i][j] = sum over k >= max(i, j) of T[k][i] T[k][j]; the lower half, mirrored.
  for (let k = 0; k < m; k++) {
    const rowK = k * m;
    for (let i = 0; i <= k; i++) {
      const tki = t[rowK + i] as number;
      if (tki === 0) continue;
      const rowI = i * m;
      for (let j = 0; j <= i; j++) p[rowI + j]! += tki * (t[rowK + j] as number);
    }
  }
  const out = new Float32Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      const v = p[i * m + j] as number;
      out[i * m + j] = v;
      out[j * m + i] = v;
    }
  }
  return out;
}
