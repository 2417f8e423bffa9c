import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { topKRow } from '../../src/core/types.js';
import { buildCsr } from '../../src/dataset/csr.js';
import { createIdEncoder } from '../../src/dataset/encoder.js';
import { easeFactory, type EaseModel } from '../../src/models/ease.js';
import { LAMBDA_SCALE } from '../../src/models/ease-weights.js';
import type { TrainingMatrix } from '../../src/models/types.js';
import { initBackend } from '../../src/tf/backend.js';

await initBackend('wasm');

// 5 users x 6 items; item 4 has no entry and item 5 only a zero (not a positive): EASE models items 0-3.
const COORDS: [number, number, number][] = [
  [0, 0, 1],
  [0, 1, 1],
  [0, 2, 1],
  [1, 0, 1],
  [1, 1, 1],
  [2, 1, 1],
  [2, 2, 1],
  [2, 3, 1],
  [3, 0, 1],
  [3, 3, 1],
  [3, 5, 0],
  [4, 2, 1],
  [4, 3, 1],
];

function matrix(): TrainingMatrix {
  return {
    userItems: buildCsr(
      5,
      6,
      Int32Array.from(COORDS, (c) => c[0]),
      Int32Array.from(COORDS, (c) => c[1]),
      Float32Array.from(COORDS, (c) => c[2]),
    ),
    users: createIdEncoder([1, 2, 3, 4, 5]),
    items: createIdEncoder([10, 20, 30, 40, 50, 60]),
  };
}

/** B = I - P diag(1/diag(P)), P = (X^T X + lambda I)^-1, in float64 by Gauss-Jordan, over items 0-3. */
function referenceB(lambda: number): number[][] {
  const n = 4;
  const g = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? lambda : 0)));
  const byUser = new Map<number, number[]>();
  for (const [u, i, v] of COORDS) if (v > 0) byUser.set(u, [...(byUser.get(u) ?? []), i]);
  for (const items of byUser.values()) for (const a of items) for (const b of items) g[a]![b]! += 1;
  const p = g.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    const pivot = p[c]![c]!;
    for (let j = 0; j < 2 * n; j++) p[c]![j]! /= pivot;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = p[r]![c]!;
      for (let j = 0; j < 2 * n; j++) p[r]![j]! -= f * p[c]![j]!;
    }
  }
  const inv = p.map((row) => row.slice(n));
  return inv.map((row, i) => row.map((v, j) => (i === j ? 0 : -v / inv[j]![j]!)));
}

describe('EASE', () => {
  it('B = I - P diag(1/diag(P)) over the items with a positive, against a float64 reference', async () => {
    const model = easeFactory.create({ lambda: 2 }) as EaseModel;
    await model.fit(matrix());
    const state = model.getState();
    expect(Array.from(state.arrays.modelledItems!.data)).toEqual([0, 1, 2, 3]);
    const b = state.arrays.weights!.data;
    const want = referenceB(2);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(b[i * 4 + j]).toBeCloseTo(want[i]![j]!, 5);
    // A user's scores are their history times B: user 4 (items 2, 3) scores item 0 as B[2][0] + B[3][0].
    const top = await model.recommend(Int32Array.of(4), 2);
    const row = topKRow(top, 0);
    expect(row.ids).toEqual(
      [0, 1].sort((x, y) => want[2]![y]! + want[3]![y]! - (want[2]![x]! + want[3]![x]!)),
    );
    expect(row.scores[0]).toBeCloseTo(Math.max(want[2]![0]! + want[3]![0]!, want[2]![1]! + want[3]![1]!), 5);
    model.dispose();
  });

  it('never ranks an item without a training positive; fold-in scores it 0 and it has no similar items', async () => {
    const model = easeFactory.create({ lambda: 1 }) as EaseModel;
    await model.fit(matrix());
    const top = await model.recommend(Int32Array.of(0, 1, 2, 3, 4), 6);
    for (let q = 0; q < 5; q++) {
      const ids = topKRow(top, q).ids;
      expect(ids).not.toContain(4);
      expect(ids).not.toContain(5);
    }
    const scores = model.foldIn({ items: Int32Array.of(0, 1) });
    expect(scores).toHaveLength(6);
    expect(scores[4]).toBe(0);
    expect(scores[5]).toBe(0);
    expect(scores[2]).not.toBe(0);
    const similar = await model.similarItems(Int32Array.of(4, 0), 3);
    expect(topKRow(similar, 0).ids).toEqual([]);
    expect(topKRow(similar, 1).ids).toHaveLength(3);
    model.dispose();
  });

  it('resolves lambda 0 by the auto rule and refuses a catalogue above maxItems, naming the limit', async () => {
    const auto = easeFactory.create() as EaseModel;
    await auto.fit(matrix());
    // 12 positives over 6 items.
    expect(auto.lambda).toBeCloseTo(LAMBDA_SCALE * Math.sqrt(12 / 6), 6);
    auto.dispose();
    const small = easeFactory.create({ maxItems: 3 });
    await expect(small.fit(matrix())).rejects.toThrow(ValidationError);
    await expect(small.fit(matrix())).rejects.toThrow(
      /4 items with a training positive exceed the EASE item limit of 3.*als/,
    );
  });
});
