import { expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import {
  batchedMatVec,
  cholesky,
  choleskySolve,
  conjugateGradient,
  hostCholeskySolve,
} from '../../src/tf/linalg.js';
import { tf, type Tensor2D, type Tensor3D } from '../../src/tf/tf.js';
import { describeEachBackend, tensorsLeakedBy } from '../support/backends.js';
import { maxAbsDiff, referenceCholeskySolve, referenceConjugateGradient } from './linalg-reference.js';

/** b random SPD systems of size n: A = M M^T / n + 0.1 I with M n x 2n standard normal, plus rhs and x0. */
function randomSystems(seed: number, b: number, n: number) {
  const rng = createRng(seed);
  const a = new Float32Array(b * n * n);
  for (let s = 0; s < b; s++) {
    const m = Float64Array.from({ length: n * 2 * n }, () => rng.normal());
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let v = i === j ? 0.1 : 0;
        for (let k = 0; k < 2 * n; k++)
          v += ((m[i * 2 * n + k] as number) * (m[j * 2 * n + k] as number)) / n;
        a[s * n * n + i * n + j] = v;
      }
    }
  }
  const rhs = Float32Array.from({ length: b * n }, () => rng.normal());
  const x0 = Float32Array.from({ length: b * n }, () => 0.1 * rng.normal());
  return { a, rhs, x0 };
}

function system(values: Float32Array, s: number, size: number): Float32Array {
  return values.subarray(s * size, (s + 1) * size);
}

describeEachBackend('batched linear algebra', (backend) => {
  const sizes = backend === 'cpu' ? [1, 5, 16] : [1, 5, 16, 64];

  it('cholesky factors A = L L^T with L lower triangular', () => {
    const n = 12;
    const { a } = randomSystems(1, 3, n);
    const aT = tf.tensor3d(a, [3, n, n]);
    const l = cholesky(aT);
    const lValues = l.dataSync();
    const rebuilt = tf.tidy(() => tf.matMul(l, l, false, true)).dataSync();
    tf.dispose([aT, l]);
    expect(maxAbsDiff(rebuilt, a)).toBeLessThan(1e-3);
    for (let s = 0; s < 3; s++) {
      for (let i = 0; i < n; i++)
        for (let j = i + 1; j < n; j++) expect(lValues[s * n * n + i * n + j]).toBe(0);
    }
  });

  for (const n of sizes) {
    it(`choleskySolve (and hostCholeskySolve) match a float64 reference within 1e-3 (n=${n})`, () => {
      const b = 6;
      const { a, rhs } = randomSystems(10 + n, b, n);
      const aT = tf.tensor3d(a, [b, n, n]);
      const rhsT = tf.tensor2d(rhs, [b, n]);
      const x = choleskySolve(aT, rhsT);
      const got = x.dataSync();
      tf.dispose([aT, rhsT, x]);
      const onHost = hostCholeskySolve(a, rhs, b, n);
      for (let s = 0; s < b; s++) {
        const expected = referenceCholeskySolve(system(a, s, n * n), system(rhs, s, n), n);
        expect(maxAbsDiff(system(got as Float32Array, s, n), expected)).toBeLessThan(1e-3);
        expect(maxAbsDiff(system(onHost, s, n), expected)).toBeLessThan(1e-4);
      }
    });

    it(`conjugateGradient follows implicit's CG step for step and converges to the solution (n=${n})`, () => {
      const b = 6;
      const { a, rhs, x0 } = randomSystems(20 + n, b, n);
      const aT = tf.tensor3d(a, [b, n, n]);
      const rhsT = tf.tensor2d(rhs, [b, n]);
      const x0T = tf.tensor2d(x0, [b, n]);
      const apply = (v: Tensor2D) => batchedMatVec(aT, v);
      const three = conjugateGradient(apply, x0T, { rhs: rhsT }, { steps: 3, trackObjective: true });
      const many = conjugateGradient(apply, x0T, { rhs: rhsT }, { steps: 3 * n });
      const gotThree = three.x.dataSync() as Float32Array;
      const gotMany = many.x.dataSync() as Float32Array;
      // The objective 1/2 x^T A x - rhs^T x, computed afresh at x0 and at x after three steps.
      const objective = (x: Tensor2D) =>
        tf.tidy(() =>
          tf.sub(tf.mul(0.5, tf.sum(tf.mul(x, batchedMatVec(aT, x)), -1)), tf.sum(tf.mul(rhsT, x), -1)),
        );
      const before = objective(x0T);
      const after = objective(three.x);
      const fell = tf.sub(before, after);
      const expectedDecrease = fell.dataSync() as Float32Array;
      const decrease = three.decrease?.dataSync() as Float32Array;
      expect(many.decrease).toBeNull();
      tf.dispose([aT, rhsT, x0T, three.x, three.decrease as Tensor2D, many.x, before, after, fell]);
      for (let s = 0; s < b; s++) {
        const aS = system(a, s, n * n);
        const reference3 = referenceConjugateGradient(aS, system(rhs, s, n), system(x0, s, n), n, 3);
        expect(maxAbsDiff(system(gotThree, s, n), reference3)).toBeLessThan(1e-3);
        const exact = referenceCholeskySolve(aS, system(rhs, s, n), n);
        expect(maxAbsDiff(system(gotMany, s, n), exact)).toBeLessThan(1e-3);
      }
      // The decrease CG tracks equals the objective computed afresh.
      for (let s = 0; s < b; s++) {
        expect(Math.abs((decrease[s] as number) - (expectedDecrease[s] as number))).toBeLessThan(
          1e-3 * Math.max(1, Math.abs(expectedDecrease[s] as number)),
        );
      }
    });
  }

  it('leaves rows whose residual is already zero untouched (no 0/0)', () => {
    const n = 4;
    const { a } = randomSystems(5, 2, n);
    const aT = tf.tensor3d(a, [2, n, n]);
    // Row 0: rhs 0 and x0 0 (residual 0); row 1: an ordinary system.
    const rhs = tf.tensor2d([0, 0, 0, 0, 1, 2, 3, 4], [2, n]);
    const x0 = tf.zeros([2, n]) as Tensor2D;
    const { x } = conjugateGradient((v) => batchedMatVec(aT, v), x0, { rhs }, { steps: 5 });
    const got = x.dataSync();
    tf.dispose([aT, rhs, x0, x]);
    expect(Array.from(got.subarray(0, n))).toEqual([0, 0, 0, 0]);
    expect(got.every(Number.isFinite)).toBe(true);
  });

  it('allocates nothing that outlives a call', async () => {
    const n = 8;
    const { a, rhs, x0 } = randomSystems(7, 3, n);
    const aT = tf.tensor3d(a, [3, n, n]) as Tensor3D;
    const rhsT = tf.tensor2d(rhs, [3, n]);
    const x0T = tf.tensor2d(x0, [3, n]);
    const leaked = await tensorsLeakedBy(() => {
      tf.dispose([cholesky(aT), choleskySolve(aT, rhsT), batchedMatVec(aT, rhsT)]);
      const residual = tf.tidy(() => tf.sub(rhsT, batchedMatVec(aT, x0T)) as Tensor2D);
      const cg = conjugateGradient(
        (v) => batchedMatVec(aT, v),
        x0T,
        { residual },
        { steps: 4, trackObjective: true },
      );
      tf.dispose([residual, cg.x, cg.decrease as Tensor2D]);
    });
    tf.dispose([aT, rhsT, x0T]);
    expect(leaked).toBe(0);
  });
});
