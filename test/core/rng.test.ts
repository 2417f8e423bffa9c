import { describe, expect, it } from 'vitest';
import { createRng, shuffleInPlace } from '../../src/core/rng.js';

describe('createRng', () => {
  it('gives the same stream for the same seed and a different one for another seed', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const sa = Array.from({ length: 100 }, () => a.next());
    const sb = Array.from({ length: 100 }, () => b.next());
    const sc = Array.from({ length: 100 }, () => c.next());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
  });

  it('draws uniform values in [0, 1) with the right mean and normals with unit variance', () => {
    const rng = createRng(7);
    let sum = 0;
    let sumSq = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
      const z = rng.normal();
      sumSq += z * z;
    }
    expect(sum / n).toBeCloseTo(0.5, 2);
    expect(sumSq / n).toBeCloseTo(1, 1);
  });

  it('forks independent, reproducible streams', () => {
    const f1 = createRng(1).fork(3);
    const f2 = createRng(1).fork(3);
    const f3 = createRng(1).fork(4);
    expect(f1.next()).toBe(f2.next());
    expect(createRng(1).fork(3).next()).not.toBe(f3.next());
  });

  it('shuffles to a permutation, identically for the same seed', () => {
    const a = shuffleInPlace(
      Int32Array.from({ length: 1000 }, (_, i) => i),
      createRng(5),
    );
    const b = shuffleInPlace(
      Int32Array.from({ length: 1000 }, (_, i) => i),
      createRng(5),
    );
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(a.slice(0, 10))).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
