import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { ArtifactIntegrityError, CancelledError } from '../../src/core/errors.js';
import { topKRow } from '../../src/core/types.js';
import type { AlsModel } from '../../src/models/als.js';
import { alsFactory } from '../../src/models/als.js';
import { liveAlsWorkers } from '../../src/models/als-executor.js';
import type { ModelState } from '../../src/models/types.js';
import { tf } from '../../src/tf/tf.js';
import { describeEachBackend, tensorsLeakedBy } from '../support/backends.js';
import { lowRankImplicitFixture } from './als-fixtures.js';

const data = lowRankImplicitFixture({ users: 90, items: 60, perUser: 12, seed: 21 });
const { userItems } = data.train;
const allUsers = Int32Array.from({ length: userItems.nRows }, (_, u) => u);

function copyState(state: ModelState): ModelState {
  const arrays: ModelState['arrays'] = {};
  for (const [name, entry] of Object.entries(state.arrays))
    arrays[name] = { data: entry.data.slice(), shape: [...entry.shape] };
  return { ...state, hyperparameters: { ...state.hyperparameters }, arrays };
}

describeEachBackend('ALS lifecycle', () => {
  let model: AlsModel;
  beforeAll(async () => {
    model = alsFactory.create({ factors: 6, iterations: 4, alpha: 3 }) as AlsModel;
    await model.fit(data.train);
  });
  afterAll(() => model?.dispose());

  it('fit + dispose, recommend, recommendForHistories, similarItems and fromState leave no tensor behind', async () => {
    expect(
      await tensorsLeakedBy(async () => {
        const m = alsFactory.create({ factors: 4, iterations: 2, solver: 'cholesky' });
        await m.fit(data.train);
        m.dispose();
      }),
    ).toBe(0);
    expect(await tensorsLeakedBy(() => model.recommend(allUsers, 5))).toBe(0);
    expect(
      await tensorsLeakedBy(() => model.recommendForHistories([{ items: Int32Array.of(1, 2, 3) }], 5)),
    ).toBe(0);
    expect(await tensorsLeakedBy(() => model.similarItems(Int32Array.of(0, 5), 5))).toBe(0);
    expect(
      await tensorsLeakedBy(async () => {
        const loaded = alsFactory.fromState(copyState(model.getState()), data.train);
        await loaded.recommend(allUsers, 3);
        loaded.dispose();
      }),
    ).toBe(0);
  });

  it('recommends unseen items only, by descending score, and honours extra exclusions', async () => {
    const top = await model.recommend(allUsers, 10);
    const noSeen = await model.recommend(allUsers, 10, { excludeSeen: false });
    for (const u of allUsers) {
      const row = topKRow(top, u);
      const seen = new Set(userItems.indices.subarray(userItems.indptr[u], userItems.indptr[u + 1]));
      expect(row.ids).toHaveLength(10);
      for (const id of row.ids) expect(seen.has(id)).toBe(false);
      for (let j = 1; j < row.scores.length; j++)
        expect(row.scores[j]).toBeLessThanOrEqual(row.scores[j - 1]!);
      // Scores are dot products of the factors.
      const first = row.ids[0] as number;
      let dot = 0;
      for (let j = 0; j < 6; j++) dot += model.userFactors[u * 6 + j]! * model.itemFactors[first * 6 + j]!;
      expect(row.scores[0]).toBeCloseTo(dot, 4);
      expect(topKRow(noSeen, u).scores[0]).toBeGreaterThanOrEqual(row.scores[0]!);
    }
    const best = topKRow(top, 0).ids[0] as number;
    const exclude = {
      nRows: 1,
      nCols: userItems.nCols,
      indptr: Int32Array.of(0, 1),
      indices: Int32Array.of(best),
      values: Float32Array.of(1),
    };
    expect(topKRow(await model.recommend(Int32Array.of(0), 10, { exclude }), 0).ids).not.toContain(best);
  });

  it('recommendForHistories folds in: a trained history gives nearly the trained ranking', async () => {
    const histories = [3, 17].map((u) => ({
      items: userItems.indices.slice(userItems.indptr[u], userItems.indptr[u + 1]),
    }));
    const folded = await model.recommendForHistories(histories, 5);
    const trained = await model.recommend(Int32Array.of(3, 17), 5);
    for (const q of [0, 1]) {
      const overlap = topKRow(folded, q).ids.filter((id) => topKRow(trained, q).ids.includes(id));
      expect(overlap.length).toBeGreaterThanOrEqual(4);
      for (const id of topKRow(folded, q).ids) expect(histories[q]!.items).not.toContain(id);
    }
  });

  it('factorSimilarItems is cosine over item factors, the item itself left out', async () => {
    const top = await model.factorSimilarItems(Int32Array.of(0, 9), 4);
    const f = 6;
    const y = model.itemFactors;
    const cos = (a: number, b: number) => {
      let ab = 0;
      let aa = 0;
      let bb = 0;
      for (let j = 0; j < f; j++) {
        ab += y[a * f + j]! * y[b * f + j]!;
        aa += y[a * f + j]! ** 2;
        bb += y[b * f + j]! ** 2;
      }
      return ab / Math.sqrt(aa * bb);
    };
    for (const [q, item] of [0, 9].entries()) {
      const row = topKRow(top, q);
      expect(row.ids).not.toContain(item);
      row.ids.forEach((id, j) => expect(row.scores[j]).toBeCloseTo(cos(item, id), 4));
      const all = Array.from({ length: userItems.nCols }, (_, i) => i).filter((i) => i !== item);
      expect(row.scores[0]).toBeCloseTo(Math.max(...all.map((i) => cos(item, i))), 4);
    }
  });

  it('fromState rebuilds the same recommendations and refuses broken states', async () => {
    const state = copyState(model.getState());
    const loaded = alsFactory.fromState(state, data.train);
    expect(await loaded.recommend(allUsers, 7)).toEqual(await model.recommend(allUsers, 7));
    loaded.dispose();
    const short = copyState(state);
    short.arrays.itemFactors = { data: new Float32Array(5), shape: [5] };
    expect(() => alsFactory.fromState(short, data.train)).toThrow(ArtifactIntegrityError);
    const nan = copyState(state);
    (nan.arrays.userFactors!.data as Float32Array)[3] = Number.NaN;
    expect(() => alsFactory.fromState(nan, data.train)).toThrow(/non-finite/);
    expect(() => alsFactory.fromState({ ...state, formatVersion: 99 }, data.train)).toThrow(
      ArtifactIntegrityError,
    );
    expect(tf.memory().numTensors).toBeGreaterThan(0);
  });
});

describeEachBackend('ALS on worker threads', () => {
  it('2 workers give the same factors and losses as 1 (and leave no thread or tensor behind)', async () => {
    const settings = { factors: 6, iterations: 3, alpha: 4, batchSize: 16, seed: 2 };
    const one = alsFactory.create({ ...settings, workers: 1 }) as AlsModel;
    const two = alsFactory.create({ ...settings, workers: 2 }) as AlsModel;
    const lossesOne: number[] = [];
    const lossesTwo: number[] = [];
    await one.fit(data.train, { onEpoch: (e) => lossesOne.push(e.loss as number) });
    let factors: Float32Array[] = [];
    const leaked = await tensorsLeakedBy(async () => {
      await two.fit(data.train, { onEpoch: (e) => lossesTwo.push(e.loss as number) });
      factors = [two.userFactors, two.itemFactors];
      two.dispose();
    });
    expect(leaked).toBe(0);
    expect(liveAlsWorkers()).toBe(0);
    expect(factors[0]).toEqual(one.userFactors);
    expect(factors[1]).toEqual(one.itemFactors);
    expect(lossesTwo).toEqual(lossesOne);
    one.dispose();
  });

  it('terminates its threads when the fit is cancelled', async () => {
    const model = alsFactory.create({ factors: 4, iterations: 50, workers: 2 });
    const controller = new AbortController();
    const fit = model.fit(data.train, {
      signal: controller.signal,
      onEpoch: (e) => {
        if (e.iteration === 1) controller.abort();
      },
    });
    await expect(fit).rejects.toBeInstanceOf(CancelledError);
    await vi.waitFor(() => expect(liveAlsWorkers()).toBe(0));
  });

  it('2 workers in Cholesky and explicit modes match 1 worker too', async () => {
    const variants: Record<string, unknown>[] = [
      { solver: 'cholesky' },
      { explicit: true, regularization: 0.1 },
    ];
    for (const extra of variants) {
      const settings = { factors: 4, iterations: 2, batchSize: 8, ...extra };
      const one = alsFactory.create(alsFactory.parseHyperparameters({ ...settings, workers: 1 })) as AlsModel;
      const two = alsFactory.create(alsFactory.parseHyperparameters({ ...settings, workers: 2 })) as AlsModel;
      await one.fit(data.train);
      await two.fit(data.train);
      expect(two.userFactors).toEqual(one.userFactors);
      expect(two.itemFactors).toEqual(one.itemFactors);
      one.dispose();
      two.dispose();
    }
  });
});
