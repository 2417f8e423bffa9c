import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import {
  buildAliasTable,
  drawAlias,
  powerLawCounts,
  sampleWithoutReplacement,
} from '../../src/dataset/synthetic-sampling.js';

describe('alias table', () => {
  it('draws each index in proportion to its weight', () => {
    const weights = Float64Array.of(1, 0, 3, 6, 0.5);
    const table = buildAliasTable(weights);
    const rng = createRng(9);
    const hits = new Float64Array(weights.length);
    const draws = 200_000;
    for (let k = 0; k < draws; k++) hits[drawAlias(table, rng)]!++;
    const total = 10.5;
    weights.forEach((w, i) => expect(hits[i]! / draws).toBeCloseTo(w / total, 2));
    expect(hits[1]).toBe(0);
  });
});

describe('powerLawCounts', () => {
  it('sums exactly to the total within the bounds, with a heavy tail', () => {
    const counts = powerLawCounts(5000, 400_000, { min: 20, cap: 3000 }, 1.8, createRng(4));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(400_000);
    const sorted = Array.from(counts).sort((a, b) => a - b);
    expect(sorted[0]).toBeGreaterThanOrEqual(20);
    expect(sorted[4999]).toBeLessThanOrEqual(3000);
    expect(sorted[4999]! / sorted[2500]!).toBeGreaterThan(10);
  });

  it('reaches the cap for every user when the total asks for it', () => {
    const counts = powerLawCounts(10, 70, { min: 3, cap: 7 }, 1.8, createRng(1));
    expect(Array.from(counts)).toEqual(new Array(10).fill(7));
  });
});

describe('sampleWithoutReplacement', () => {
  it('returns distinct winners by decreasing key, never a zero weight', () => {
    const n = 2000;
    const candidates = Int32Array.from({ length: n }, (_, k) => 10 * k);
    const weights = Float64Array.from({ length: n }, (_, k) => (k % 10 === 0 ? 0 : 1 + (k % 7)));
    const winners = sampleWithoutReplacement(candidates, weights, 900, createRng(2));
    expect(winners.length).toBe(900);
    expect(new Set(winners).size).toBe(900);
    for (const id of winners) expect(weights[id / 10]).toBeGreaterThan(0);
  });

  it('picks exactly the largest exponential keys (checked against a full sort)', () => {
    const n = 5000;
    const candidates = Int32Array.from({ length: n }, (_, k) => k);
    const weights = Float64Array.from({ length: n }, (_, k) => 1 / (1 + (k % 50)));
    const rng = createRng(77);
    const keys = Array.from({ length: n }, (_, k) => ({ k, key: Math.log(1 - rng.next()) / weights[k]! }));
    const expected = keys
      .sort((a, b) => b.key - a.key || a.k - b.k)
      .slice(0, 321)
      .map((e) => e.k);
    expect(Array.from(sampleWithoutReplacement(candidates, weights, 321, createRng(77)))).toEqual(expected);
  });

  it('favours heavy candidates', () => {
    const candidates = Int32Array.from({ length: 100 }, (_, k) => k);
    const weights = Float64Array.from({ length: 100 }, (_, k) => (k < 10 ? 50 : 1));
    const winners = sampleWithoutReplacement(candidates, weights, 10, createRng(3));
    expect(winners.filter((id) => id < 10).length).toBeGreaterThanOrEqual(7);
  });
});
