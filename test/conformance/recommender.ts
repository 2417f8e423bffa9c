/**
 * The conformance suite every model runs (after benfred/implicit's RecommenderBase test mixin): one
 * `test/conformance/<model>.test.ts` per model calls `describeRecommenderConformance` with its factory, small
 * hyperparameters and a fixture. It runs on every TF.js backend present.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ArtifactIntegrityError, NotFittedError } from '../../src/core/errors.js';
import type { TopK } from '../../src/core/types.js';
import { buildCsr } from '../../src/dataset/csr.js';
import type { CsrMatrix } from '../../src/dataset/types.js';
import type { BackendName } from '../../src/tf/backend.js';
import type { ModelFactory, ModelState, Recommender, ScoringModel } from '../../src/models/types.js';
import { tf } from '../../src/tf/tf.js';
import { describeEachBackend, tensorsLeakedBy } from '../support/backends.js';
import type { ConformanceFixture } from './fixtures.js';

export interface ConformanceOptions {
  factory: ModelFactory;
  /** Hyperparameters small enough for a fast fit on the fixture (and a fixed seed where the model has one). */
  hyperparameters?: Record<string, number | string | boolean>;
  /** Data with the item each user must get first (checkerboard for personalized models). */
  fixture: () => ConformanceFixture;
  /** Limit the backends (default: every one installed). */
  backends?: readonly BackendName[];
}

function rowOf(top: TopK, q: number): { ids: number[]; scores: number[] } {
  return {
    ids: Array.from(top.ids.subarray(q * top.k, (q + 1) * top.k)),
    scores: Array.from(top.scores.subarray(q * top.k, (q + 1) * top.k)),
  };
}

function rowItems(m: CsrMatrix, r: number): number[] {
  return Array.from(m.indices.subarray(m.indptr[r], m.indptr[r + 1]));
}

/** A deep copy, as an artifact round trip would hand back (no shared buffers with the live model). */
function copyState(state: ModelState): ModelState {
  const arrays: ModelState['arrays'] = {};
  for (const [name, entry] of Object.entries(state.arrays)) {
    arrays[name] = { data: entry.data.slice(), shape: [...entry.shape] };
  }
  return { ...structuredClone({ ...state, arrays: {} }), arrays };
}

function expectSameTopK(actual: TopK, expected: TopK): void {
  expect(actual.k).toBe(expected.k);
  expect(Array.from(actual.ids)).toEqual(Array.from(expected.ids));
  for (let j = 0; j < expected.scores.length; j++) {
    const e = expected.scores[j] as number;
    if (Number.isFinite(e)) expect(actual.scores[j]).toBeCloseTo(e, 4);
    else expect(actual.scores[j]).toBe(e);
  }
}

/** Every user's scores for every item from a scoring model, [users * items], whatever its input kind. */
async function predictScores(
  scoring: ScoringModel,
  userItems: CsrMatrix,
  nItems: number,
): Promise<Float32Array> {
  const nUsers = userItems.nRows;
  const inputs = tf.tidy(() => {
    if (scoring.input === 'user') return [tf.reshape(tf.range(0, nUsers, 1, 'float32'), [nUsers, 1])];
    if (scoring.input === 'history') {
      const dense = new Float32Array(nUsers * nItems);
      for (let u = 0; u < nUsers; u++) {
        for (let p = userItems.indptr[u]!; p < userItems.indptr[u + 1]!; p++) {
          dense[u * nItems + userItems.indices[p]!] = userItems.values[p]!;
        }
      }
      return [tf.tensor2d(dense, [nUsers, nItems])];
    }
    const pairs = tf.range(0, nUsers * nItems, 1, 'int32');
    const users = tf.cast(tf.floorDiv(pairs, nItems), 'float32');
    const items = tf.cast(tf.mod(pairs, nItems), 'float32');
    return [tf.reshape(users, [-1, 1]), tf.reshape(items, [-1, 1])];
  });
  const output = scoring.model.predict(inputs.length === 1 ? inputs[0]! : inputs) as tf.Tensor;
  try {
    return (await output.data()) as Float32Array;
  } finally {
    tf.dispose([output, ...inputs]);
  }
}

/**
 * Registers the shared cases for one model on every backend present.
 * @example describeRecommenderConformance({ factory: itemKnnFactory, fixture: checkerboardFixture });
 */
export function describeRecommenderConformance(options: ConformanceOptions): void {
  const { factory, hyperparameters = {}, fixture } = options;
  describeEachBackend(
    `${factory.kind} conformance ${JSON.stringify(hyperparameters)}`,
    () => {
      const { train, expectedFirst } = fixture();
      const nUsers = train.userItems.nRows;
      const nItems = train.userItems.nCols;
      const allUsers = Int32Array.from({ length: nUsers }, (_, u) => u);
      let model: Recommender;

      beforeAll(async () => {
        model = factory.create(hyperparameters);
        await model.fit(train);
      });
      afterAll(() => model?.dispose());

      it('leaves no tensor behind across create, fit and dispose', async () => {
        const leaked = await tensorsLeakedBy(async () => {
          const m = factory.create(hyperparameters);
          await m.fit(train);
          m.dispose();
        });
        expect(leaked).toBe(0);
      });

      it('ranks the expected item first for every user (checkerboard: the withheld item)', async () => {
        let top: TopK | undefined;
        expect(await tensorsLeakedBy(async () => (top = await model.recommend(allUsers, 3)))).toBe(0);
        for (let u = 0; u < nUsers; u++) expect(top!.ids[u * 3]).toBe(expectedFirst[u]);
      });

      it('ranks the same first item from the user history passed in as from training', async () => {
        const histories = Array.from(allUsers, (u) => ({
          items: Int32Array.from(rowItems(train.userItems, u)),
          values: train.userItems.values.slice(train.userItems.indptr[u], train.userItems.indptr[u + 1]),
        }));
        let top: TopK | undefined;
        expect(
          await tensorsLeakedBy(async () => (top = await model.recommendForHistories(histories, 2))),
        ).toBe(0);
        for (let u = 0; u < nUsers; u++) {
          expect(top!.ids[u * 2]).toBe(expectedFirst[u]);
          for (const id of rowOf(top!, u).ids) expect(rowItems(train.userItems, u)).not.toContain(id);
        }
      });

      it('gives the same results in a batch as one user at a time', async () => {
        const k = 4;
        const order = Int32Array.from(allUsers).reverse();
        const leaked = await tensorsLeakedBy(async () => {
          const batch = await model.recommend(order, k);
          for (let q = 0; q < order.length; q++) {
            const single = await model.recommend(Int32Array.of(order[q] as number), k);
            expect(rowOf(single, 0).ids).toEqual(rowOf(batch, q).ids);
            rowOf(single, 0).scores.forEach((s, j) =>
              expect(s).toBeCloseTo(rowOf(batch, q).scores[j] as number, 4),
            );
          }
        });
        expect(leaked).toBe(0);
      });

      it('never returns seen or excluded items', async () => {
        // Exclude two further items per query, chosen per row so row q must apply to users[q].
        const order = Int32Array.from(allUsers).reverse();
        const rows: number[] = [];
        const cols: number[] = [];
        order.forEach((u, q) => {
          rows.push(q, q);
          cols.push(expectedFirst[u]! >= 0 ? expectedFirst[u]! : 0, (u * 5 + 1) % nItems);
        });
        const exclude = buildCsr(order.length, nItems, Int32Array.from(rows), Int32Array.from(cols));
        let top: TopK | undefined;
        const leaked = await tensorsLeakedBy(async () => {
          top = await model.recommend(order, nItems, { excludeSeen: true, exclude });
        });
        expect(leaked).toBe(0);
        order.forEach((u, q) => {
          const ids = rowOf(top!, q).ids.filter((id) => id >= 0);
          for (const id of ids) {
            expect(rowItems(train.userItems, u)).not.toContain(id);
            expect(rowItems(exclude, q)).not.toContain(id);
          }
        });
      });

      it('returns every unseen item then padding when k exceeds the catalogue', async () => {
        const k = nItems + 3;
        let top: TopK = { ids: new Int32Array(0), scores: new Float32Array(0), k };
        expect(await tensorsLeakedBy(async () => (top = await model.recommend(allUsers, k)))).toBe(0);
        for (let u = 0; u < nUsers; u++) {
          const { ids, scores } = rowOf(top, u);
          const seen = new Set(rowItems(train.userItems, u));
          const unseen = Array.from({ length: nItems }, (_, i) => i).filter((i) => !seen.has(i));
          expect([...ids.slice(0, unseen.length)].sort((a, b) => a - b)).toEqual(unseen);
          expect(ids.slice(unseen.length).every((id) => id === -1)).toBe(true);
          expect(scores.slice(unseen.length).every((s) => s === -Infinity)).toBe(true);
          for (let j = 1; j < unseen.length; j++) expect(scores[j]!).toBeLessThanOrEqual(scores[j - 1]!);
        }
      });

      it('returns similar items without the item itself, best first', async () => {
        const items = Int32Array.from({ length: nItems }, (_, i) => i);
        let top: TopK | undefined;
        expect(await tensorsLeakedBy(async () => (top = await model.similarItems(items, 3)))).toBe(0);
        for (let i = 0; i < nItems; i++) {
          const { ids, scores } = rowOf(top!, i);
          expect(ids).not.toContain(i);
          const real = scores.filter((_, j) => ids[j]! >= 0);
          real.forEach((s) => expect(Number.isFinite(s)).toBe(true));
          for (let j = 1; j < real.length; j++) expect(real[j]!).toBeLessThanOrEqual(real[j - 1]!);
        }
      });

      it('gives the same ids and scores after getState -> fromState, and refuses another kind', async () => {
        const state = copyState(model.getState());
        expect(state.kind).toBe(factory.kind);
        let loaded: Recommender | undefined;
        const leaked = await tensorsLeakedBy(async () => {
          loaded = factory.fromState(state, { users: train.users, items: train.items });
          expectSameTopK(await loaded.recommend(allUsers, 5), await model.recommend(allUsers, 5));
          const items = Int32Array.from({ length: nItems }, (_, i) => i);
          expectSameTopK(await loaded.similarItems(items, 3), await model.similarItems(items, 3));
          expect(Array.from(loaded.items.rawIds)).toEqual(Array.from(train.items.rawIds));
          loaded.dispose();
        });
        expect(leaked).toBe(0);
      });

      it('refuses damaged states with ArtifactIntegrityError and use before fit with NotFittedError', () => {
        const state = copyState(model.getState());
        const encoders = { users: train.users, items: train.items };
        const refusals: [string, ModelState][] = [
          ['another kind', { ...state, kind: factory.kind === 'popularity' ? 'itemknn' : 'popularity' }],
          ['another format version', { ...state, formatVersion: state.formatVersion + 1 }],
          [
            'an unknown hyperparameter',
            { ...state, hyperparameters: { ...state.hyperparameters, bogus: 1 } },
          ],
        ];
        for (const name of Object.keys(state.arrays)) {
          const arrays = { ...state.arrays };
          delete arrays[name];
          refusals.push([`no ${name}`, { ...state, arrays }]);
        }
        for (const [what, damaged] of refusals) {
          expect(() => factory.fromState(damaged, encoders), what).toThrow(ArtifactIntegrityError);
        }
        const fresh = factory.create(hyperparameters);
        expect(() => fresh.users).toThrow(NotFittedError);
        return expect(fresh.recommend(allUsers, 3)).rejects.toThrow(NotFittedError);
      });

      it('exports a stock Layers model whose predict ranks as recommend does', async () => {
        const k = 3;
        const expected = await model.recommend(allUsers, k, { excludeSeen: true });
        const leaked = await tensorsLeakedBy(async () => {
          const scoring = model.scoringModel();
          try {
            const scores = await predictScores(scoring, train.userItems, nItems);
            for (let u = 0; u < nUsers; u++) {
              const seen = new Set(rowItems(train.userItems, u));
              const row = Array.from(scores.subarray(u * nItems, (u + 1) * nItems));
              const best = Math.max(...row.filter((_, i) => !seen.has(i)));
              // The model's first item scores the best among unseen items in the exported graph too.
              const first = expected.ids[u * k] as number;
              expect(row[first]!).toBeCloseTo(best, 4);
              expect(row[first]!).toBeCloseTo(expected.scores[u * k] as number, 3);
            }
          } finally {
            scoring.model.dispose();
          }
        });
        expect(leaked).toBe(0);
      });

      it('holds no NaN in its state or its scores', async () => {
        for (const [name, entry] of Object.entries(model.getState().arrays)) {
          expect(
            entry.data.some((v) => Number.isNaN(v)),
            name,
          ).toBe(false);
        }
        let top: TopK = { ids: new Int32Array(0), scores: new Float32Array(0), k: nItems };
        expect(await tensorsLeakedBy(async () => (top = await model.recommend(allUsers, nItems)))).toBe(0);
        expect(top.scores.length).toBe(nUsers * nItems);
        expect(top.scores.some((s) => Number.isNaN(s))).toBe(false);
      });

      it('is deterministic: a second fit with the same hyperparameters ranks the same', async () => {
        const expected = Array.from((await model.recommend(allUsers, 3)).ids);
        const leaked = await tensorsLeakedBy(async () => {
          const again = factory.create(hyperparameters);
          await again.fit(train);
          expect(Array.from((await again.recommend(allUsers, 3)).ids)).toEqual(expected);
          again.dispose();
        });
        expect(leaked).toBe(0);
      });
    },
    options.backends,
  );
}
