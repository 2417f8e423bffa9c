import { describe, expect, it } from 'vitest';
import { ArtifactIntegrityError, CancelledError, ValidationError } from '../../src/core/errors.js';
import type { ProgressEvent } from '../../src/core/progress.js';
import { createRng } from '../../src/core/rng.js';
import { buildCsr, transposeCsr } from '../../src/dataset/csr.js';
import { createIdEncoder } from '../../src/dataset/encoder.js';
import type { CsrMatrix } from '../../src/dataset/types.js';
import { itemKnnFactory } from '../../src/models/itemknn.js';
import { topNeighbours, weightItemVectors, type ItemWeighting } from '../../src/models/itemknn-similarity.js';
import type { TrainingMatrix } from '../../src/models/types.js';
import { describeEachBackend, tensorsLeakedBy } from '../support/backends.js';

/** Random users x items data with real-valued entries (so no two similarities tie). */
function randomTraining(nUsers: number, nItems: number, density: number, seed: number): TrainingMatrix {
  const rng = createRng(seed);
  const rows: number[] = [];
  const cols: number[] = [];
  const vals: number[] = [];
  for (let u = 0; u < nUsers; u++) {
    for (let i = 0; i < nItems; i++) {
      if (rng.next() < density) {
        rows.push(u);
        cols.push(i);
        vals.push(0.5 + 2.5 * rng.next());
      }
    }
  }
  return {
    userItems: buildCsr(
      nUsers,
      nItems,
      Int32Array.from(rows),
      Int32Array.from(cols),
      Float32Array.from(vals),
    ),
    users: createIdEncoder(Int32Array.from({ length: nUsers }, (_, u) => u + 1)),
    items: createIdEncoder(Int32Array.from({ length: nItems }, (_, i) => i + 1)),
  };
}

/** Dense item x user weights written straight from the formulas in implicit's nearest_neighbours. */
function referenceWeights(userItems: CsrMatrix, weighting: ItemWeighting, k1 = 1.2, b = 0.75): number[][] {
  const { nRows: nUsers, nCols: nItems } = userItems;
  const x = Array.from({ length: nItems }, () => new Array<number>(nUsers).fill(0));
  for (let u = 0; u < nUsers; u++) {
    for (let p = userItems.indptr[u]!; p < userItems.indptr[u + 1]!; p++)
      x[userItems.indices[p]!]![u] = userItems.values[p]!;
  }
  const idf = Array.from({ length: nUsers }, (_, u) =>
    Math.log(nItems / (1 + x.filter((row) => row[u]! !== 0).length)),
  );
  const rowSums = x.map((row) => row.reduce((s, v) => s + v, 0));
  const avg = rowSums.reduce((s, v) => s + v, 0) / nItems;
  return x.map((row, i) => {
    if (weighting === 'bm25') {
      const lengthNorm = 1 - b + (b * rowSums[i]!) / avg;
      return row.map((v, u) => (v === 0 ? 0 : ((v * (k1 + 1)) / (k1 * lengthNorm + v)) * idf[u]!));
    }
    const w = row.map((v, u) => (v === 0 ? 0 : weighting === 'tfidf' ? Math.sqrt(v) * idf[u]! : v));
    const norm = Math.sqrt(w.reduce((s, v) => s + v * v, 0));
    return w.map((v) => (norm > 0 ? v / norm : 0));
  });
}

/** Each item's top-n other items by dot product (positive only), as item -> Map(neighbour, similarity). */
function referenceNeighbours(weights: number[][], n: number): Map<number, number>[] {
  return weights.map((a, i) => {
    const sims = weights
      .map((bRow, j) => ({ j, s: a.reduce((sum, v, u) => sum + v * bRow[u]!, 0) }))
      .filter((c) => c.j !== i && c.s > 0)
      .sort((p, q) => q.s - p.s || p.j - q.j)
      .slice(0, n);
    return new Map(sims.map((c) => [c.j, c.s]));
  });
}

function rowsAsMaps(m: CsrMatrix): Map<number, number>[] {
  return Array.from({ length: m.nRows }, (_, r) => {
    const map = new Map<number, number>();
    for (let p = m.indptr[r]!; p < m.indptr[r + 1]!; p++) map.set(m.indices[p]!, m.values[p]!);
    return map;
  });
}

describeEachBackend('item-kNN similarity', () => {
  const train = randomTraining(40, 30, 0.2, 7);

  for (const weighting of ['cosine', 'tfidf', 'bm25'] as const) {
    it(`keeps each item's top neighbours by ${weighting} similarity, as a dense reference computes them`, async () => {
      const vectors = weightItemVectors(transposeCsr(train.userItems), weighting);
      const reference = referenceNeighbours(referenceWeights(train.userItems, weighting), 6);
      // Small blocks force several row and column blocks, so the merge across blocks is exercised.
      let similarity: CsrMatrix | undefined;
      const leaked = await tensorsLeakedBy(async () => {
        similarity = await topNeighbours(vectors, 6, { maxRightElements: 40 * 7, maxLeftElements: 40 * 4 });
      });
      expect(leaked).toBe(0);
      const actual = rowsAsMaps(similarity!);
      for (let i = 0; i < 30; i++) {
        expect([...actual[i]!.keys()].sort((a, b) => a - b)).toEqual(
          [...reference[i]!.keys()].sort((a, b) => a - b),
        );
        for (const [j, s] of reference[i]!) expect(actual[i]!.get(j)).toBeCloseTo(s, 4);
        expect(actual[i]!.has(i)).toBe(false);
      }
    });
  }

  it('with shrinkage and a minimum support, scales each similarity by n / (n + shrinkage) of its co-ratings', async () => {
    const vectors = weightItemVectors(transposeCsr(train.userItems), 'cosine');
    const weights = referenceWeights(train.userItems, 'cosine');
    const coRatings = (i: number, j: number) =>
      weights[i]!.reduce((n, v, u) => n + (v !== 0 && weights[j]![u] !== 0 ? 1 : 0), 0);
    const shrunk = weights.map((_, i) => {
      const sims = weights
        .map((bRow, j) => {
          const n = coRatings(i, j);
          const cosine = weights[i]!.reduce((sum, v, u) => sum + v * bRow[u]!, 0);
          return { j, s: n >= 2 ? (cosine * n) / (n + 5) : 0 };
        })
        .filter((c) => c.j !== i && c.s > 0)
        .sort((p, q) => q.s - p.s || p.j - q.j)
        .slice(0, 6);
      return new Map(sims.map((c) => [c.j, c.s]));
    });
    let similarity: CsrMatrix | undefined;
    const leaked = await tensorsLeakedBy(async () => {
      similarity = await topNeighbours(vectors, 6, {
        shrinkage: 5,
        minSupport: 2,
        maxRightElements: 40 * 7,
        maxLeftElements: 40 * 4,
      });
    });
    expect(leaked).toBe(0);
    const actual = rowsAsMaps(similarity!);
    let pruned = 0;
    for (let i = 0; i < 30; i++) {
      expect([...actual[i]!.keys()].sort((a, b) => a - b)).toEqual(
        [...shrunk[i]!.keys()].sort((a, b) => a - b),
      );
      for (const [j, s] of shrunk[i]!) expect(actual[i]!.get(j)).toBeCloseTo(s, 4);
      for (const j of actual[i]!.keys()) if (coRatings(i, j) < 2) pruned++;
    }
    expect(pruned).toBe(0);
  });

  it('gives the same neighbours in one block as in many', async () => {
    const vectors = weightItemVectors(transposeCsr(train.userItems), 'cosine');
    const whole = await topNeighbours(vectors, 4);
    const blocked = await topNeighbours(vectors, 4, { maxRightElements: 40 * 3, maxLeftElements: 40 * 2 });
    expect(Array.from(blocked.indptr)).toEqual(Array.from(whole.indptr));
    expect(Array.from(blocked.indices)).toEqual(Array.from(whole.indices));
  });
});

describeEachBackend(
  'item-kNN model',
  () => {
    const train = randomTraining(30, 25, 0.25, 11);

    it('scores an item by the similarity-weighted sum over the user history', async () => {
      const model = itemKnnFactory.create({ neighbours: 5 });
      await model.fit(train);
      const sim = rowsAsMaps((model as unknown as { similarity: CsrMatrix }).similarity);
      const top = await model.recommend(Int32Array.of(3), 25);
      const expected = new Map<number, number>();
      const { indptr, indices, values } = train.userItems;
      for (let p = indptr[3]!; p < indptr[4]!; p++) {
        for (const [j, s] of sim[indices[p]!]!) expected.set(j, (expected.get(j) ?? 0) + values[p]! * s);
      }
      for (let place = 0; place < 25; place++) {
        const id = top.ids[place]!;
        if (id < 0) break;
        expect(top.scores[place]).toBeCloseTo(expected.get(id) ?? 0, 4);
      }
    });

    it('reports progress and stops with CancelledError when its signal is aborted', async () => {
      const events: ProgressEvent[] = [];
      const model = itemKnnFactory.create();
      await model.fit(train, { onProgress: (e) => events.push(e) });
      expect(events.at(-1)).toMatchObject({ done: 25, total: 25, unit: 'items' });
      const controller = new AbortController();
      controller.abort();
      const leaked = await tensorsLeakedBy(async () => {
        await expect(
          itemKnnFactory.create().fit(train, { signal: controller.signal }),
        ).rejects.toBeInstanceOf(CancelledError);
      });
      expect(leaked).toBe(0);
    });
  },
  ['wasm', 'cpu'],
);

describe('item-kNN hyperparameters and state', () => {
  it('fills defaults (200 neighbours, cosine) and refuses bad values naming the field', () => {
    expect(itemKnnFactory.defaults).toEqual({
      neighbours: 200,
      weighting: 'cosine',
      bm25K1: 1.2,
      bm25B: 0.75,
      shrinkage: 0,
      minSupport: 1,
    });
    expect(itemKnnFactory.parseHyperparameters({ neighbours: '50' }).neighbours).toBe(50);
    expect(() => itemKnnFactory.parseHyperparameters({ neighbours: 0 })).toThrow(ValidationError);
    expect(() => itemKnnFactory.parseHyperparameters({ neighbours: 0 })).toThrow(/itemknn\.neighbours/);
    expect(() => itemKnnFactory.parseHyperparameters({ weighting: 'jaccard' })).toThrow(/itemknn\.weighting/);
    expect(() => itemKnnFactory.create({ factors: 3 } as never)).toThrow(/unknown hyperparameter 'factors'/);
  });

  it('refuses a state whose similarity points outside the catalogue', async () => {
    const train = randomTraining(10, 8, 0.4, 3);
    const model = itemKnnFactory.create({ neighbours: 3 });
    await model.fit(train);
    const state = model.getState();
    const indices = (state.arrays.similarityIndices!.data as Int32Array).slice();
    indices[0] = 99;
    const broken = {
      ...state,
      arrays: { ...state.arrays, similarityIndices: { data: indices, shape: [indices.length] } },
    };
    expect(() => itemKnnFactory.fromState(broken, { users: train.users, items: train.items })).toThrow(
      ArtifactIntegrityError,
    );
    const wrongVersion = { ...state, formatVersion: 2 };
    expect(() => itemKnnFactory.fromState(wrongVersion, { users: train.users, items: train.items })).toThrow(
      /format version 2/,
    );
  });
});
