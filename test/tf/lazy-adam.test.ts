/**
 * Lazy (row-sparse) Adam: with every row in every step it is tf.train.adam; rows outside a step keep their
 * weights and moments; a step's rows move as Adam moves them; nothing leaks per step.
 */
import { expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import { LazyAdam } from '../../src/tf/lazy-adam.js';
import '../../src/tf/layers.js';
import { tf } from '../../src/tf/tf.js';
import { describeEachBackend } from '../support/backends.js';
import { maxAbsDiff } from './linalg-reference.js';

const [n, f] = [12, 3];
const rng = createRng(4);
const initial = Float32Array.from({ length: n * f }, () => rng.normal());
/** Step s's gradient of row r (a fixed pseudo-random field, so both optimizers see the same gradients). */
const gradientOf = (s: number, rows: number[]) =>
  Float32Array.from({ length: rows.length * f }, (_, q) =>
    Math.sin(7 * s + 3 * (rows[Math.floor(q / f)] as number) + (q % f)),
  );

describeEachBackend('lazy Adam', () => {
  it('equals tf.train.adam when every row is in every step', async () => {
    const all = Array.from({ length: n }, (_, r) => r);
    const dense = tf.variable(tf.tensor2d(initial.slice(), [n, f]));
    const sparse = tf.variable(tf.tensor2d(initial.slice(), [n, f]));
    const adam = tf.train.adam(0.05);
    const lazy = new LazyAdam({ learningRate: 0.05 });
    const indices = tf.tensor2d(all, [n, 1], 'int32');
    for (let s = 0; s < 5; s++) {
      const gradient = tf.tensor2d(gradientOf(s, all), [n, f]);
      adam.applyGradients({ [dense.name]: gradient } as Record<string, tf.Variable>);
      lazy.step();
      lazy.update(sparse, indices, gradient);
      gradient.dispose();
    }
    expect(maxAbsDiff(await dense.data(), await sparse.data())).toBeLessThan(1e-5);
    // And both moved: the test compares updates, not two untouched tables.
    expect(maxAbsDiff(await dense.data(), initial)).toBeGreaterThan(0.1);
    tf.dispose([dense, sparse, indices]);
    adam.dispose();
    lazy.dispose();
  });

  it("moves only the step's rows, each as Adam on its own steps would, and leaks nothing per step", async () => {
    const table = tf.variable(tf.tensor2d(initial.slice(), [n, f]));
    const lazy = new LazyAdam({ learningRate: 0.05 });
    // Row 0 in every step, row 5 in steps 0 and 2, the rest never.
    const stepsRows = [[0, 5], [0], [5, 0]];
    const counts: number[] = [];
    for (const [s, rows] of stepsRows.entries()) {
      counts.push(tf.memory().numTensors);
      lazy.step();
      tf.tidy(() => {
        const indices = tf.tensor2d(rows, [rows.length, 1], 'int32');
        lazy.update(table, indices, tf.tensor2d(gradientOf(s, rows), [rows.length, f]));
      });
    }
    counts.push(tf.memory().numTensors);
    // The moments are made on the first update; from then on each step leaves the count as it was.
    expect(counts[2]).toBe(counts[1]);
    expect(counts[3]).toBe(counts[1]);
    const after = await table.data();
    for (let r = 0; r < n; r++) {
      const row = (a: ArrayLike<number>) => Array.from(a).slice(r * f, (r + 1) * f);
      if (r === 0 || r === 5) expect(maxAbsDiff(row(after), row(initial))).toBeGreaterThan(0.01);
      else expect(row(after)).toEqual(row(initial));
    }
    // Row 5, by hand: Adam's moments see its gradients of steps 0 and 2 only, bias corrections the step count.
    let [m, v] = [new Float64Array(f), new Float64Array(f)];
    const w = Float64Array.from(initial.subarray(5 * f, 6 * f));
    for (const [s, t] of [
      [0, 1],
      [2, 3],
    ] as const) {
      const g = gradientOf(s, [5]);
      m = m.map((x, c) => 0.9 * x + 0.1 * (g[c] as number));
      v = v.map((x, c) => 0.999 * x + 0.001 * (g[c] as number) ** 2);
      for (let c = 0; c < f; c++) {
        w[c]! -=
          (0.05 / (1 - 0.9 ** t)) *
          ((m[c] as number) / (Math.sqrt((v[c] as number) / (1 - 0.999 ** t)) + 1e-7));
      }
    }
    expect(maxAbsDiff(after.subarray(5 * f, 6 * f), w)).toBeLessThan(1e-5);
    tf.dispose(table);
    lazy.dispose();
  });

  it("never writes into the array a table was made from (the CPU backend's scatter writes in place)", () => {
    const data = initial.slice();
    const table = tf.variable(tf.tensor2d(data, [n, f]));
    const lazy = new LazyAdam({ learningRate: 0.05 });
    lazy.step();
    tf.tidy(() => lazy.update(table, tf.tensor2d([1], [1, 1], 'int32'), tf.ones([1, f])));
    expect(Array.from(data)).toEqual(Array.from(initial));
    tf.dispose(table);
    lazy.dispose();
  });

  it('refuses an update before the first step', () => {
    const table = tf.variable(tf.zeros([2, 2]));
    const lazy = new LazyAdam({ learningRate: 0.1 });
    expect(() =>
      tf.tidy(() => lazy.update(table, tf.tensor2d([0], [1, 1], 'int32'), tf.ones([1, 2]))),
    ).toThrow(/before step/);
    tf.dispose(table);
  });
});
