import { expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import { gatherRows, rowBatch, rowDots, rowWeightedSums } from '../../src/tf/rows.js';
import { tf } from '../../src/tf/tf.js';
import { describeEachBackend, tensorsLeakedBy } from '../support/backends.js';
import { maxAbsDiff } from './linalg-reference.js';

describeEachBackend('row primitives', () => {
  it('gather rows, batched dot products and weighted sums match plain loops, without leaking', async () => {
    const rng = createRng(8);
    const [n, f, b, width] = [30, 5, 4, 7];
    const matrix = Float32Array.from({ length: n * f }, () => rng.normal());
    const indices = Int32Array.from({ length: b * width }, () => rng.int(n));
    const vectors = Float32Array.from({ length: b * f }, () => rng.normal());
    const weights = Float32Array.from({ length: b * width }, () => rng.normal());
    const matrixT = tf.tensor2d(matrix, [n, f]);
    const vectorsT = tf.tensor2d(vectors, [b, f]);
    const weightsT = tf.tensor2d(weights, [b, width]);
    let gathered = new Float32Array(0);
    let dots = new Float32Array(0);
    let sums = new Float32Array(0);
    const leaked = await tensorsLeakedBy(() => {
      const batch = rowBatch(gatherRows(matrixT, indices), b, width);
      const dotsT = rowDots(batch.rows, vectorsT);
      const sumsT = rowWeightedSums(batch, weightsT);
      gathered = Float32Array.from(batch.flat.dataSync());
      dots = Float32Array.from(dotsT.dataSync());
      sums = Float32Array.from(sumsT.dataSync());
      tf.dispose([batch.rows, batch.flat, batch.positions, batch.segments, dotsT, sumsT]);
    });
    tf.dispose([matrixT, vectorsT, weightsT]);
    expect(leaked).toBe(0);
    const expectedGathered = new Float32Array(b * width * f);
    const expectedDots = new Float32Array(b * width);
    const expectedSums = new Float32Array(b * f);
    for (let e = 0; e < b * width; e++) {
      const q = Math.floor(e / width);
      for (let j = 0; j < f; j++) {
        const value = matrix[(indices[e] as number) * f + j] as number;
        expectedGathered[e * f + j] = value;
        expectedDots[e]! += value * (vectors[q * f + j] as number);
        expectedSums[q * f + j]! += (weights[e] as number) * value;
      }
    }
    expect(gathered).toEqual(expectedGathered);
    expect(maxAbsDiff(dots, expectedDots)).toBeLessThan(1e-5);
    expect(maxAbsDiff(sums, expectedSums)).toBeLessThan(1e-5);
  });

  it('refuses a row index outside the matrix', () => {
    const m = tf.zeros([3, 2]) as tf.Tensor2D;
    expect(() => tf.dispose(gatherRows(m, Int32Array.of(0, 3)))).toThrow();
    m.dispose();
  });
});
