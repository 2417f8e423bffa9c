import { expect, it } from 'vitest';
import { referenceIteration, confidenceMatrix } from '../../bench/reference/als-reference.js';
import { CancelledError, ValidationError } from '../../src/core/errors.js';
import { buildCsr, transposeCsr } from '../../src/dataset/csr.js';
import type { AlsModel } from '../../src/models/als.js';
import { alsFactory } from '../../src/models/als.js';
import { initialFactors } from '../../src/models/als-train.js';
import type { EpochReport } from '../../src/models/types.js';
import { describeEachBackend } from '../support/backends.js';
import { hitRate, lowRankImplicitFixture, popularityTopK, syntheticFixture } from './als-fixtures.js';

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

function maxAbs(a: Float32Array): number {
  return a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

function cosine(a: Float32Array, b: Float32Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i] as number) * (b[i] as number);
    aa += (a[i] as number) ** 2;
    bb += (b[i] as number) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

async function fitAls(train: Parameters<AlsModel['fit']>[0], hyperparameters: Record<string, unknown>) {
  const model = alsFactory.create(alsFactory.parseHyperparameters(hyperparameters)) as AlsModel;
  const epochs: EpochReport[] = [];
  await model.fit(train, { onEpoch: (e) => epochs.push(e) });
  return { model, epochs };
}

describeEachBackend('ALS', (backend) => {
  // The pure-JS cpu backend runs ~1 GFLOP/s: it gets the smaller data.
  const small = backend === 'cpu';
  const implicitData = lowRankImplicitFixture({
    users: small ? 120 : 300,
    items: small ? 80 : 200,
    perUser: 20,
    seed: 5,
  });

  it("follows benfred/implicit's CG from the same start: same factors and loss as the plain reference", async () => {
    const settings = {
      factors: 8,
      regularization: 0.05,
      cgSteps: 3,
      alpha: 5,
      confidence: 'alpha-r' as const,
    };
    const { userItems } = implicitData.train;
    const { model, epochs } = await fitAls(implicitData.train, { ...settings, iterations: 3, seed: 9 });
    const x = initialFactors(userItems.nRows, 8, 9, 1, userItems);
    const itemUsers = transposeCsr(userItems);
    const y = initialFactors(userItems.nCols, 8, 9, 2, itemUsers);
    const cui = confidenceMatrix(userItems, settings);
    const ciu = confidenceMatrix(itemUsers, settings);
    const losses = [1, 2, 3].map(() => referenceIteration(cui, ciu, x, y, settings));
    // float32 rounding differs between the two summation orders; CG amplifies it a little.
    expect(maxAbsDiff(model.userFactors, x)).toBeLessThan(5e-3 * maxAbs(x));
    expect(maxAbsDiff(model.itemFactors, y)).toBeLessThan(5e-3 * maxAbs(y));
    epochs.forEach((e, i) =>
      expect(Math.abs((e.loss as number) / (losses[i] as number) - 1)).toBeLessThan(1e-4),
    );
    model.dispose();
  });

  it('implicit: the loss falls every iteration and held-out items rank far above popularity', async () => {
    const { model, epochs } = await fitAls(implicitData.train, { factors: 8, iterations: 8, seed: 1 });
    for (let i = 1; i < epochs.length; i++)
      expect(epochs[i]!.loss).toBeLessThan(epochs[i - 1]!.loss as number);
    const { user, item } = implicitData.heldOut;
    const alsHits = hitRate(await model.recommend(user, 10), item);
    const popularityHits = hitRate(popularityTopK(implicitData.train.userItems, user, 10), item);
    expect(alsHits).toBeGreaterThan(2 * popularityHits);
    expect(alsHits).toBeGreaterThan(0.3);
    model.dispose();
  });

  it('explicit: RMSE falls every iteration and held-out RMSE reaches the planted noise level', async () => {
    const data = syntheticFixture({
      users: 200,
      items: 150,
      interactions: 15_000,
      factors: 4,
      explicit: true,
      seed: 3,
    });
    const { model, epochs } = await fitAls(data.train, {
      explicit: true,
      factors: 4,
      regularization: 0.05,
      iterations: small ? 8 : 15,
      solver: 'cholesky',
    });
    const rmse = epochs.map((e) => e.metrics?.rmse as number);
    for (let i = 1; i < rmse.length; i++) expect(rmse[i]).toBeLessThan(rmse[i - 1] as number);
    const f = 4;
    let squared = 0;
    let truthSquared = 0;
    const { user, item, rating } = data.heldOut;
    for (let q = 0; q < user.length; q++) {
      const u = user[q] as number;
      const i = item[q] as number;
      let prediction = 0;
      for (let j = 0; j < f; j++) prediction += model.userFactors[u * f + j]! * model.itemFactors[i * f + j]!;
      squared += (prediction - (rating[q] as number)) ** 2;
      truthSquared += (data.truth(u, i) - (rating[q] as number)) ** 2;
    }
    // The planted model's own error on the held-out ratings is the noise level (noise + rounding to stars).
    expect(Math.sqrt(squared / user.length)).toBeLessThan(1.05 * Math.sqrt(truthSquared / user.length));
    model.dispose();
  });

  it('CG and Cholesky modes agree (CG with as many steps as factors solves exactly)', async () => {
    const common = { factors: 6, iterations: 10, alpha: 5, regularization: 0.1, seed: 4 };
    const exact = await fitAls(implicitData.train, { ...common, solver: 'cholesky' });
    const cg = await fitAls(implicitData.train, { ...common, solver: 'cg', cgSteps: 12 });
    const cg3 = await fitAls(implicitData.train, { ...common, solver: 'cg', cgSteps: 3 });
    expect(maxAbsDiff(cg.model.userFactors, exact.model.userFactors)).toBeLessThan(
      1e-2 * maxAbs(exact.model.userFactors),
    );
    expect(maxAbsDiff(cg.model.itemFactors, exact.model.itemFactors)).toBeLessThan(
      1e-2 * maxAbs(exact.model.itemFactors),
    );
    cg.epochs.forEach((e, i) =>
      expect(Math.abs((e.loss as number) / (exact.epochs[i]!.loss as number) - 1)).toBeLessThan(1e-4),
    );
    // Three warm-started steps per half-step end up close to the exact solves.
    const last = common.iterations - 1;
    expect(
      Math.abs((cg3.epochs[last]!.loss as number) / (exact.epochs[last]!.loss as number) - 1),
    ).toBeLessThan(0.02);
    [exact, cg, cg3].forEach((r) => r.model.dispose());
  });

  it("foldIn of a trained user's own history reproduces their trained factors", async () => {
    const { model } = await fitAls(implicitData.train, {
      factors: 8,
      iterations: 15,
      solver: 'cholesky',
      alpha: 2,
    });
    const { userItems } = implicitData.train;
    for (const u of [0, 7, 42]) {
      const items = userItems.indices.slice(userItems.indptr[u], userItems.indptr[u + 1]);
      const folded = model.foldIn({ items });
      const trained = model.userFactors.slice(u * 8, (u + 1) * 8);
      expect(cosine(folded, trained)).toBeGreaterThan(0.999);
      expect(Math.hypot(...folded.map((v, j) => v - trained[j]!))).toBeLessThan(
        0.05 * Math.hypot(...trained),
      );
    }
    model.dispose();
  });

  it('is deterministic under a seed: same seed, same factors; another seed, other factors', async () => {
    const a = await fitAls(implicitData.train, { factors: 4, iterations: 2, seed: 11 });
    const b = await fitAls(implicitData.train, { factors: 4, iterations: 2, seed: 11 });
    const c = await fitAls(implicitData.train, { factors: 4, iterations: 2, seed: 12 });
    expect(b.model.userFactors).toEqual(a.model.userFactors);
    expect(b.model.itemFactors).toEqual(a.model.itemFactors);
    expect(c.model.itemFactors).not.toEqual(a.model.itemFactors);
    [a, b, c].forEach((r) => r.model.dispose());
  });

  it("'one-plus-alpha-r' equals 'alpha-r' with alpha 1 on values 1 + alpha r", async () => {
    const { userItems } = implicitData.train;
    const shifted = {
      ...implicitData.train,
      userItems: { ...userItems, values: userItems.values.map((v) => 1 + 3 * v) },
    };
    const plusOne = await fitAls(implicitData.train, {
      factors: 4,
      iterations: 2,
      alpha: 3,
      confidence: 'one-plus-alpha-r',
    });
    const plain = await fitAls(shifted, { factors: 4, iterations: 2, alpha: 1 });
    expect(maxAbsDiff(plusOne.model.userFactors, plain.model.userFactors)).toBeLessThan(1e-5);
    plusOne.epochs.forEach((e, i) => expect(e.loss).toBeCloseTo(plain.epochs[i]!.loss as number, 6));
    [plusOne, plain].forEach((r) => r.model.dispose());
  });

  it('refuses empty training data, and a fit that diverges without regularization, naming the field', async () => {
    const { users, items } = implicitData.train;
    const empty = {
      ...implicitData.train,
      userItems: buildCsr(users.size, items.size, new Int32Array(0), new Int32Array(0)),
    };
    await expect(alsFactory.create({ factors: 2 }).fit(empty)).rejects.toThrow(
      /train: holds no interactions/,
    );
    // Explicit, no regularization, 8 factors: a user with 1 rating has a singular system.
    const single = {
      ...implicitData.train,
      userItems: buildCsr(users.size, items.size, Int32Array.of(0), Int32Array.of(0)),
    };
    const model = alsFactory.create({
      explicit: true,
      regularization: 0,
      factors: 8,
      iterations: 1,
      solver: 'cholesky',
    });
    await expect(model.fit(single)).rejects.toThrow(/regularization: training diverged/);
  });

  it('stops with CancelledError between half-steps when the signal fires', async () => {
    const model = alsFactory.create({ factors: 4, iterations: 50 });
    const controller = new AbortController();
    const epochs: EpochReport[] = [];
    const fit = model.fit(implicitData.train, {
      signal: controller.signal,
      onEpoch: (e) => {
        epochs.push(e);
        if (e.iteration === 2) controller.abort();
      },
    });
    await expect(fit).rejects.toBeInstanceOf(CancelledError);
    expect(epochs).toHaveLength(2);
    model.dispose();
  });
});

it('validates hyperparameters, naming the field', () => {
  expect(alsFactory.parseHyperparameters({ factors: '32', explicit: 'true' })).toMatchObject({
    factors: 32,
    explicit: true,
    solver: 'cg',
  });
  expect(() => alsFactory.parseHyperparameters({ factors: 0 })).toThrow(ValidationError);
  expect(() => alsFactory.parseHyperparameters({ solver: 'lu' })).toThrow(/als\.solver/);
  expect(() => alsFactory.parseHyperparameters({ cgsteps: 3 })).toThrow(/unknown hyperparameter 'cgsteps'/);
  expect(alsFactory.defaults).toMatchObject({ factors: 64, regularization: 0.01, alpha: 1, cgSteps: 3 });
});
