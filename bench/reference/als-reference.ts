/**
 * The plain-TypeScript reference of implicit ALS: benfred/implicit's `_least_squares_cg` and
 * `calculate_loss` written as straightforward loops over Float32Arrays, one thread, no tf. bench:als measures
 * the tf solver against it, and the ALS tests check that both follow the same trajectory from the same start.
 */
import type { CsrMatrix } from '../../src/dataset/types.js';

export interface ReferenceSettings {
  factors: number;
  regularization: number;
  cgSteps: number;
  alpha: number;
  confidence: 'alpha-r' | 'one-plus-alpha-r';
}

/** The confidence matrix implicit trains on: same pattern, values c (negative for a disliked entry). */
export function confidenceMatrix(m: CsrMatrix, settings: ReferenceSettings): CsrMatrix {
  const values = Float32Array.from(m.values, (r) => {
    const c =
      settings.confidence === 'alpha-r' ? settings.alpha * Math.abs(r) : 1 + settings.alpha * Math.abs(r);
    return r > 0 ? c : -c;
  });
  return { ...m, values };
}

/** Y^T Y (+ regularization on the diagonal), f x f row-major, float32 like implicit's default dtype. */
function gram(y: Float32Array, n: number, f: number, regularization: number): Float32Array {
  const out = new Float32Array(f * f);
  for (let i = 0; i < n; i++) {
    const o = i * f;
    for (let a = 0; a < f; a++) {
      const ya = y[o + a] as number;
      for (let b = 0; b < f; b++) out[a * f + b]! += ya * (y[o + b] as number);
    }
  }
  for (let a = 0; a < f; a++) out[a * f + a]! += regularization;
  return out;
}

/**
 * One half-step: every row of `cui` solved by `cgSteps` conjugate-gradient steps warm-started from `x`
 * (in place), against fixed `y`. Rows without entries become zero.
 */
export function leastSquaresCg(
  cui: CsrMatrix,
  x: Float32Array,
  y: Float32Array,
  settings: ReferenceSettings,
): void {
  const f = settings.factors;
  const yty = gram(y, cui.nCols, f, settings.regularization);
  const r = new Float32Array(f);
  const p = new Float32Array(f);
  const ap = new Float32Array(f);
  for (let u = 0; u < cui.nRows; u++) {
    const xo = u * f;
    const start = cui.indptr[u] as number;
    const end = cui.indptr[u + 1] as number;
    if (start === end) {
      x.fill(0, xo, xo + f);
      continue;
    }
    // r = YtCuPu - YtCuY x, without building YtCuY.
    symv(yty, x, xo, r, f, -1);
    for (let idx = start; idx < end; idx++) {
      const io = (cui.indices[idx] as number) * f;
      let confidence = cui.values[idx] as number;
      let temp = confidence > 0 ? confidence : 0;
      if (confidence < 0) confidence = -confidence;
      temp -= (confidence - 1) * dot(y, io, x, xo, f);
      for (let j = 0; j < f; j++) r[j]! += temp * (y[io + j] as number);
    }
    p.set(r);
    let rsOld = dot(r, 0, r, 0, f);
    if (rsOld < 1e-20) continue;
    for (let it = 0; it < settings.cgSteps; it++) {
      symv(yty, p, 0, ap, f, 1);
      for (let idx = start; idx < end; idx++) {
        const io = (cui.indices[idx] as number) * f;
        const confidence = Math.abs(cui.values[idx] as number);
        const temp = (confidence - 1) * dot(y, io, p, 0, f);
        for (let j = 0; j < f; j++) ap[j]! += temp * (y[io + j] as number);
      }
      const alpha = rsOld / dot(p, 0, ap, 0, f);
      for (let j = 0; j < f; j++) {
        x[xo + j]! += alpha * (p[j] as number);
        r[j]! -= alpha * (ap[j] as number);
      }
      const rsNew = dot(r, 0, r, 0, f);
      if (rsNew < 1e-20) break;
      const beta = rsNew / rsOld;
      for (let j = 0; j < f; j++) p[j] = (r[j] as number) + beta * (p[j] as number);
      rsOld = rsNew;
    }
  }
}

/** implicit's training loss: the weighted squared error over all pairs plus regularisation, normalised. */
export function calculateLoss(
  cui: CsrMatrix,
  x: Float32Array,
  y: Float32Array,
  settings: ReferenceSettings,
): number {
  const f = settings.factors;
  const yty = gram(y, cui.nCols, f, 0);
  const r = new Float32Array(f);
  let loss = 0;
  let totalConfidence = 0;
  let userNorm = 0;
  let itemNorm = 0;
  for (let u = 0; u < cui.nRows; u++) {
    const xo = u * f;
    symv(yty, x, xo, r, f, 1);
    for (let idx = cui.indptr[u] as number; idx < (cui.indptr[u + 1] as number); idx++) {
      const io = (cui.indices[idx] as number) * f;
      let confidence = cui.values[idx] as number;
      let temp = confidence > 0 ? -2 * confidence : 0;
      if (confidence < 0) confidence = -confidence;
      temp += (confidence - 1) * dot(y, io, x, xo, f);
      for (let j = 0; j < f; j++) r[j]! += temp * (y[io + j] as number);
      totalConfidence += confidence;
      loss += confidence;
    }
    loss += dot(r, 0, x, xo, f);
    userNorm += dot(x, xo, x, xo, f);
  }
  for (let i = 0; i < cui.nCols; i++) itemNorm += dot(y, i * f, y, i * f, f);
  loss += settings.regularization * (itemNorm + userNorm);
  return loss / (totalConfidence + cui.nRows * cui.nCols - cui.indices.length);
}

/** One ALS iteration as implicit runs it: users, then items; returns the loss afterwards. */
export function referenceIteration(
  cui: CsrMatrix,
  ciu: CsrMatrix,
  userFactors: Float32Array,
  itemFactors: Float32Array,
  settings: ReferenceSettings,
  withLoss = true,
): number {
  leastSquaresCg(cui, userFactors, itemFactors, settings);
  leastSquaresCg(ciu, itemFactors, userFactors, settings);
  return withLoss ? calculateLoss(cui, userFactors, itemFactors, settings) : Number.NaN;
}

function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, f: number): number {
  let s = 0;
  for (let j = 0; j < f; j++) s += (a[ao + j] as number) * (b[bo + j] as number);
  return s;
}

/** out = scale * (m v[vo..vo+f)). */
function symv(
  m: Float32Array,
  v: Float32Array,
  vo: number,
  out: Float32Array,
  f: number,
  scale: number,
): void {
  for (let a = 0; a < f; a++) {
    let s = 0;
    for (let b = 0; b < f; b++) s += (m[a * f + b] as number) * (v[vo + b] as number);
    out[a] = scale * s;
  }
}
