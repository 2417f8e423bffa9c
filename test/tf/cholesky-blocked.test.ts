import { expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import { blockedCholesky, choleskyInverse } from '../../src/tf/cholesky-blocked.js';
import { tf } from '../../src/tf/tf.js';
import { describeEachBackend, tensorsLeakedBy } from '../support/backends.js';

/** Plain-JS float64 Cholesky: the lower factor of a row-major SPD matrix. */
function referenceCholesky(a: ArrayLike<number>, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j] as number;
    for (let k = 0; k < j; k++) d -= (l[j * n + k] as number) ** 2;
    const ljj = Math.sqrt(d);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j] as number;
      for (let k = 0; k < j; k++) s -= (l[i * n + k] as number) * (l[j * n + k] as number);
      l[i * n + j] = s / ljj;
    }
  }
  return l;
}

/** Plain-JS float64 inverse from the reference factor: W = L^-1 by forward substitution, then W^T W. */
function referenceInverse(a: ArrayLike<number>, n: number): Float64Array {
  const l = referenceCholesky(a, n);
  const w = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    for (let i = c; i < n; i++) {
      let v = i === c ? 1 : 0;
      for (let k = c; k < i; k++) v -= (l[i * n + k] as number) * (w[k * n + c] as number);
      w[i * n + c] = v / (l[i * n + i] as number);
    }
  }
  const p = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    for (let i = 0; i <= k; i++) {
      const wki = w[k * n + i] as number;
      if (wki === 0) continue;
      for (let j = 0; j <= k; j++) p[i * n + j]! += wki * (w[k * n + j] as number);
    }
  }
  return p;
}

/** A random SPD matrix: Q Q^T + diag(d), Q n x r standard normal, d uniform in [1, 2] (condition ~ n). */
function randomSpd(seed: number, n: number): Float32Array {
  const rng = createRng(seed);
  const r = Math.min(n, 40);
  const q = Float64Array.from({ length: n * r }, () => rng.normal());
  const a = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let v = i === j ? 1 + rng.next() : 0;
      for (let k = 0; k < r; k++) v += (q[i * r + k] as number) * (q[j * r + k] as number);
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
  }
  return a;
}

/** max |got - want| / max |want|. */
function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs((got[i] as number) - (want[i] as number)));
    scale = Math.max(scale, Math.abs(want[i] as number));
  }
  return diff / scale;
}

describeEachBackend('blocked Cholesky and inverse', (backend) => {
  // [n, block sizes]: every path (one block, a partial last block, padding, block 1) on small n; small blocks
  // on n = 300 reach the recursion's symmetric updates and panelled matMuls several levels deep; the
  // 1,000 x 1,000 case at the default block size and one larger, on the backends fast enough for it.
  const cases: [number, number[]][] = [
    [1, [1, 4]],
    [2, [1, 3]],
    [5, [1, 2, 5, 8]],
    [17, [1, 4, 16]],
    [64, [7, 32, 64]],
    [130, [16, 64, 256]],
    [300, [8, 32, 128]],
    ...(backend === 'cpu' ? [] : ([[1000, [128, 256]]] as [number, number[]][])),
  ];
  for (const [n, blockSizes] of cases) {
    it(`factor and inverse match plain JS within 1e-3 relative, no tensor left (n=${n}, blocks ${blockSizes.join('/')})`, async () => {
      const a = randomSpd(100 + n, n);
      const wantL = referenceCholesky(a, n);
      const wantP = referenceInverse(a, n);
      for (const blockSize of blockSizes) {
        const input = tf.tensor2d(a, [n, n]);
        let gotL: Float32Array = new Float32Array();
        let gotP: Float32Array = new Float32Array();
        const leaked = await tensorsLeakedBy(() => {
          const l = blockedCholesky(input, { blockSize });
          const p = choleskyInverse(input, { blockSize });
          expect(l.shape).toEqual([n, n]);
          expect(p.shape).toEqual([n, n]);
          gotL = l.dataSync() as Float32Array;
          gotP = p.dataSync() as Float32Array;
          tf.dispose([l, p]);
        });
        input.dispose();
        expect(leaked).toBe(0);
        expect(relativeError(gotL, wantL)).toBeLessThan(1e-3);
        expect(relativeError(gotP, wantP)).toBeLessThan(1e-3);
        let aboveDiagonal = 0;
        for (let i = 0; i < n; i++) {
          for (let j = i + 1; j < n; j++) if (gotL[i * n + j] !== 0) aboveDiagonal++;
        }
        expect(aboveDiagonal).toBe(0);
      }
    }, 240_000);
  }

  it('consumeInput disposes the input and gives the same inverse', () => {
    const n = 40;
    const a = randomSpd(7, n);
    const kept = tf.tensor2d(a, [n, n]);
    const consumed = tf.tensor2d(a, [n, n]);
    const p1 = choleskyInverse(kept, { blockSize: 16 });
    const p2 = choleskyInverse(consumed, { blockSize: 16, consumeInput: true });
    expect(consumed.isDisposed).toBe(true);
    expect(kept.isDisposed).toBe(false);
    expect(Array.from(p2.dataSync())).toEqual(Array.from(p1.dataSync()));
    tf.dispose([kept, p1, p2]);
  });

  it('refuses a matrix that is not positive definite with the pivot, leaking nothing', async () => {
    const n = 20;
    const a = randomSpd(3, n);
    a[12 * n + 12] = -5;
    const input = tf.tensor2d(a, [n, n]);
    const leaked = await tensorsLeakedBy(() => {
      expect(() => choleskyInverse(input, { blockSize: 8 })).toThrow(/not positive definite \(pivot 12/);
      expect(() => blockedCholesky(input, { blockSize: 8 })).toThrow(RangeError);
    });
    input.dispose();
    expect(leaked).toBe(0);
  });

  it('refuses a non-square matrix and a bad block size', () => {
    const x = tf.zeros([2, 3]) as never;
    expect(() => blockedCholesky(x)).toThrow(/square/);
    const y = tf.eye(3);
    expect(() => choleskyInverse(y, { blockSize: 0 })).toThrow(/blockSize/);
    tf.dispose([x, y]);
  });
});
