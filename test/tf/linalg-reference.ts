/**
 * Plain-JS (float64) references for the batched tf-op linear algebra: Cholesky solve and implicit's
 * conjugate gradient, one system at a time.
 */

/** Solves A x = b (A symmetric positive definite, row-major n x n) by Cholesky in float64. */
export function referenceCholeskySolve(a: ArrayLike<number>, b: ArrayLike<number>, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j] as number;
    for (let k = 0; k < j; k++) d -= (l[j * n + k] as number) ** 2;
    const djj = Math.sqrt(d);
    l[j * n + j] = djj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j] as number;
      for (let k = 0; k < j; k++) s -= (l[i * n + k] as number) * (l[j * n + k] as number);
      l[i * n + j] = s / djj;
    }
  }
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i] as number;
    for (let k = 0; k < i; k++) s -= (l[i * n + k] as number) * (z[k] as number);
    z[i] = s / (l[i * n + i] as number);
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = z[i] as number;
    for (let k = i + 1; k < n; k++) s -= (l[k * n + i] as number) * (x[k] as number);
    x[i] = s / (l[i * n + i] as number);
  }
  return x;
}

/** implicit's conjugate gradient on one system, `steps` iterations from x0, in float64. */
export function referenceConjugateGradient(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  x0: ArrayLike<number>,
  n: number,
  steps: number,
): Float64Array {
  const x = Float64Array.from(x0);
  const matVec = (v: Float64Array): Float64Array => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++)
      for (let k = 0; k < n; k++) out[i]! += (a[i * n + k] as number) * (v[k] as number);
    return out;
  };
  const ax = matVec(x);
  const r = Float64Array.from({ length: n }, (_, i) => (b[i] as number) - (ax[i] as number));
  const p = Float64Array.from(r);
  let rsOld = r.reduce((s, v) => s + v * v, 0);
  if (rsOld < 1e-20) return x;
  for (let it = 0; it < steps; it++) {
    const ap = matVec(p);
    const alpha = rsOld / p.reduce((s, v, i) => s + v * (ap[i] as number), 0);
    for (let i = 0; i < n; i++) {
      x[i]! += alpha * (p[i] as number);
      r[i]! -= alpha * (ap[i] as number);
    }
    const rsNew = r.reduce((s, v) => s + v * v, 0);
    if (rsNew < 1e-20) break;
    for (let i = 0; i < n; i++) p[i] = (r[i] as number) + (rsNew / rsOld) * (p[i] as number);
    rsOld = rsNew;
  }
  return x;
}

/** max |a - b| over two equal-length arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}
