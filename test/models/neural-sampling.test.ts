/**
 * The neural model's training examples: seeded (same seed, same epoch -> same buffers; another epoch ->
 * another shuffle), every positive once per epoch, negatives outside the user's items, and popularity
 * sampling drawing items in proportion to count^0.75.
 */
import { expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import { buildCsr } from '../../src/dataset/csr.js';
import {
  epochBatches,
  epochExamples,
  negativeSampler,
  positivePairs,
} from '../../src/models/neural-sampling.js';

// 50 users; item i is liked by users u with (u + i) % (i + 2) === 0, so low items are popular.
const rows: number[] = [];
const cols: number[] = [];
for (let u = 0; u < 50; u++) {
  for (let i = 0; i < 40; i++) {
    if ((u + i) % (i + 2) === 0) {
      rows.push(u);
      cols.push(i);
    }
  }
}
const userItems = buildCsr(50, 40, Int32Array.from(rows), Int32Array.from(cols));
const positives = positivePairs(userItems);

it('gives every positive once per epoch, shuffled by (seed, epoch), and the same buffers again', () => {
  const sampler = negativeSampler(userItems, 'uniform');
  const a = epochExamples(positives, sampler, 3, 7, 0);
  const again = epochExamples(positives, sampler, 3, 7, 0);
  const next = epochExamples(positives, sampler, 3, 7, 1);
  expect(Array.from(a.users)).toEqual(Array.from(again.users));
  expect(Array.from(a.negatives)).toEqual(Array.from(again.negatives));
  expect(Array.from(a.users)).not.toEqual(Array.from(next.users));
  const key = (u: number, i: number) => u * 100 + i;
  const pairs = (e: typeof a) => Array.from(e.users, (u, p) => key(u, e.items[p]!)).sort((x, y) => x - y);
  expect(pairs(a)).toEqual(
    Array.from(positives.users, (u, p) => key(u, positives.items[p]!)).sort((x, y) => x - y),
  );
  expect(a.negatives.length).toBe(3 * a.users.length);
});

it('draws negatives outside the user’s items (but one who has them all cannot stall training)', () => {
  for (const mode of ['uniform', 'popularity'] as const) {
    const { users, negatives } = epochExamples(positives, negativeSampler(userItems, mode), 4, 1, 0);
    let inside = 0;
    negatives.forEach((item, j) => {
      const u = users[Math.floor(j / 4)]!;
      const row = userItems.indices.subarray(userItems.indptr[u], userItems.indptr[u + 1]);
      // User 2 has every item: after 8 tries the sampler takes what it drew.
      if (u !== 2 && row.includes(item)) inside++;
    });
    expect(inside, mode).toBe(0);
    expect(users.includes(2)).toBe(true);
  }
});

it('draws by popularity^0.75 in popularity mode and evenly in uniform mode', () => {
  // A user with no items, so nothing is rejected and the draw's own distribution shows.
  const empty = buildCsr(2, 40, Int32Array.of(1), Int32Array.of(0));
  const popularity = negativeSampler(
    buildCsr(3, 40, Int32Array.from([...rows.map(() => 2), 1]), Int32Array.from([...cols, 0])),
    'popularity',
  );
  const uniform = negativeSampler(empty, 'uniform');
  const draws = 20_000;
  const countOf = (sampler: ReturnType<typeof negativeSampler>) => {
    const out = new Int32Array(draws);
    sampler.fill(Int32Array.of(0), draws, out, createRng(3));
    const counts = new Float64Array(40);
    for (const i of out) counts[i]! += 1;
    return counts;
  };
  const itemCounts = new Float64Array(40);
  for (const c of cols) itemCounts[c]! += 1;
  itemCounts[0]! += 1;
  const weights = Array.from(itemCounts, (c) => c ** 0.75);
  const total = weights.reduce((a, b) => a + b, 0);
  const byPopularity = countOf(popularity);
  // Item 0 (most liked) and item 39 (least): within 10% of their expected shares.
  for (const i of [0, 1, 39]) expect(byPopularity[i]! / draws).toBeCloseTo(weights[i]! / total, 1);
  expect(byPopularity[0]!).toBeGreaterThan(3 * byPopularity[39]!);
  const even = countOf(uniform);
  for (const c of even) expect(Math.abs(c / draws - 1 / 40)).toBeLessThan(0.01);
});

it('cuts an epoch into batches whose distinct rows and positions give back every example, counted for L2', () => {
  const n = 3;
  const examples = epochExamples(positives, negativeSampler(userItems, 'uniform'), n, 7, 0);
  const count = examples.users.length;
  const batchSize = 16;
  const b = epochBatches(examples, n, batchSize, 50, 40);
  expect(b.steps).toBe(Math.ceil(count / batchSize));
  for (let s = 0; s < b.steps; s++) {
    const users = b.uniqueUsers.subarray(b.userOffsets[s], b.userOffsets[s + 1]);
    const items = b.uniqueItems.subarray(b.itemOffsets[s], b.itemOffsets[s + 1]);
    // Each row once per batch: what the lazy Adam's scatter needs.
    expect(new Set(users).size).toBe(users.length);
    expect(new Set(items).size).toBe(items.length);
    const userCounts = new Map<number, number>();
    const itemCounts = new Map<number, number>();
    for (let p = s * batchSize; p < Math.min(count, (s + 1) * batchSize); p++) {
      expect(users[b.localUsers[p]!]).toBe(examples.users[p]);
      userCounts.set(examples.users[p]!, (userCounts.get(examples.users[p]!) ?? 0) + 1 + n);
      for (let j = 0; j <= n; j++) {
        const item = j === 0 ? examples.items[p]! : examples.negatives[p * n + j - 1]!;
        expect(items[b.localItems[p * (1 + n) + j]!]).toBe(item);
        itemCounts.set(item, (itemCounts.get(item) ?? 0) + 1);
      }
    }
    const counts = (unique: Int32Array, from: number, all: Float32Array) =>
      Array.from(unique, (_, q) => all[from + q]);
    expect(counts(users, b.userOffsets[s]!, b.userCounts)).toEqual(
      Array.from(users, (u) => userCounts.get(u)),
    );
    expect(counts(items, b.itemOffsets[s]!, b.itemCounts)).toEqual(
      Array.from(items, (i) => itemCounts.get(i)),
    );
  }
});
