/**
 * A small real model for the artifact tests, independent of the registry's models: items scored by their
 * positive count plus a dot product with the user's mean item vector, item vectors seeded-random and held in
 * a tf tensor (so save/load leak checks mean something). `dim` sets the state's size (large dims make the
 * weights span several 4 MB shards).
 */
import { z } from 'zod';
import { createRng } from '../../src/core/rng.js';
import type { TopK } from '../../src/core/types.js';
import { buildCsr } from '../../src/dataset/csr.js';
import { createIdEncoder, encodeAll } from '../../src/dataset/encoder.js';
import type { CsrMatrix, IdEncoder } from '../../src/dataset/types.js';
import type {
  FitReport,
  ModelFactory,
  ModelState,
  Recommender,
  RecommendOptions,
  ScoringModel,
  TrainingMatrix,
  UserHistory,
} from '../../src/models/types.js';
import { constantScoringModel } from '../../src/models/scoring-models.js';
import { tf } from '../../src/tf/tf.js';

type Hyper = { dim: number; seed: number };

export class VectorModel implements Recommender {
  readonly kind = 'popularity' as const;
  readonly hyperparameters: Hyper;
  private fitted?: {
    users: IdEncoder;
    items: IdEncoder;
    userItems: CsrMatrix;
    counts: Float32Array;
    vectors: tf.Tensor2D;
  };

  constructor(hyper: Partial<Hyper> = {}) {
    this.hyperparameters = { dim: hyper.dim ?? 8, seed: hyper.seed ?? 7 };
  }
  get users(): IdEncoder {
    return this.need().users;
  }
  get items(): IdEncoder {
    return this.need().items;
  }

  async fit(train: TrainingMatrix): Promise<FitReport> {
    const { nCols } = train.userItems;
    const counts = new Float32Array(nCols);
    for (const i of train.userItems.indices) counts[i]! += 1;
    const rng = createRng(this.hyperparameters.seed);
    const data = Float32Array.from({ length: nCols * this.hyperparameters.dim }, () => rng.normal());
    this.restore(train.users, train.items, train.userItems, counts, data);
    return { seconds: 0, epochs: [{ iteration: 1, iterations: 1, seconds: 0 }] };
  }

  restore(
    users: IdEncoder,
    items: IdEncoder,
    userItems: CsrMatrix,
    counts: Float32Array,
    vectors: Float32Array,
  ): void {
    this.dispose();
    const t = tf.tensor2d(vectors, [items.size, this.hyperparameters.dim]);
    this.fitted = { users, items, userItems, counts, vectors: t };
  }

  async recommend(users: Int32Array, k: number, options: RecommendOptions = {}): Promise<TopK> {
    const f = this.need();
    const histories = Array.from(users, (u) => ({
      items: f.userItems.indices.slice(f.userItems.indptr[u], f.userItems.indptr[u + 1]),
    }));
    return this.rank(histories, k, options.excludeSeen ?? true, options.exclude);
  }

  async recommendForHistories(
    histories: readonly UserHistory[],
    k: number,
    options: { exclude?: CsrMatrix } = {},
  ): Promise<TopK> {
    return this.rank(histories, k, true, options.exclude);
  }

  async similarItems(items: Int32Array, k: number): Promise<TopK> {
    const f = this.need();
    const scores = tf.tidy(() =>
      tf.matMul(tf.gather(f.vectors, Array.from(items)), f.vectors, false, true).dataSync(),
    );
    const n = f.items.size;
    const out = {
      ids: new Int32Array(items.length * k).fill(-1),
      scores: new Float32Array(items.length * k).fill(-Infinity),
      k,
    };
    items.forEach((item, q) => {
      const row = scores.subarray(q * n, q * n + n);
      const order = Array.from({ length: n }, (_, i) => i).filter((i) => i !== item);
      order.sort((a, b) => (row[b] as number) - (row[a] as number) || a - b);
      order.slice(0, k).forEach((i, j) => {
        out.ids[q * k + j] = i;
        out.scores[q * k + j] = row[i] as number;
      });
    });
    return out;
  }

  private rank(
    histories: readonly UserHistory[],
    k: number,
    excludeHistory: boolean,
    exclude?: CsrMatrix,
  ): TopK {
    const f = this.need();
    const n = f.items.size;
    const dim = this.hyperparameters.dim;
    const vectors = f.vectors.dataSync();
    const out = {
      ids: new Int32Array(histories.length * k).fill(-1),
      scores: new Float32Array(histories.length * k).fill(-Infinity),
      k,
    };
    histories.forEach((history, q) => {
      const mean = new Float32Array(dim);
      for (const i of history.items)
        for (let d = 0; d < dim; d++) mean[d]! += (vectors[i * dim + d] as number) / history.items.length;
      const banned = new Set<number>(excludeHistory ? history.items : []);
      if (exclude)
        for (let p = exclude.indptr[q] as number; p < (exclude.indptr[q + 1] as number); p++)
          banned.add(exclude.indices[p] as number);
      const scores = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        let dot = 0;
        for (let d = 0; d < dim; d++) dot += (mean[d] as number) * (vectors[i * dim + d] as number);
        scores[i] = (f.counts[i] as number) + dot;
      }
      const order = Array.from({ length: n }, (_, i) => i).filter((i) => !banned.has(i));
      order.sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
      order.slice(0, k).forEach((i, j) => {
        out.ids[q * k + j] = i;
        out.scores[q * k + j] = scores[i] as number;
      });
    });
    return out;
  }

  getState(): ModelState {
    const f = this.need();
    return {
      kind: this.kind,
      formatVersion: 1,
      hyperparameters: { ...this.hyperparameters },
      arrays: {
        counts: { data: f.counts, shape: [f.counts.length] },
        itemVectors: {
          data: f.vectors.dataSync() as Float32Array,
          shape: [f.items.size, this.hyperparameters.dim],
        },
        userItemsIndptr: { data: f.userItems.indptr, shape: [f.userItems.indptr.length] },
        userItemsIndices: { data: f.userItems.indices, shape: [f.userItems.indices.length] },
      },
      info: { note: 'vector test model' },
    };
  }

  dispose(): void {
    this.fitted?.vectors.dispose();
    this.fitted = undefined;
  }

  scoringModel(): ScoringModel {
    return constantScoringModel(this.need().counts);
  }

  private need(): NonNullable<VectorModel['fitted']> {
    if (!this.fitted) throw new Error('not fitted');
    return this.fitted;
  }
}

/** The factory loadArtifact rebuilds VectorModel through (as the registry's factories do for real kinds). */
export const vectorFactory: ModelFactory<Hyper> = {
  kind: 'popularity',
  description: 'test model',
  schema: z.object({ dim: z.number(), seed: z.number() }),
  defaults: { dim: 8, seed: 7 },
  parseHyperparameters: (input) => ({ dim: Number(input.dim ?? 8), seed: Number(input.seed ?? 7) }),
  create: (h) => new VectorModel(h),
  fromState(state, { users, items }) {
    if (state.formatVersion !== 1) throw new Error(`format ${state.formatVersion}`);
    const model = new VectorModel({
      dim: Number(state.hyperparameters.dim),
      seed: Number(state.hyperparameters.seed),
    });
    const a = state.arrays;
    const userItems = {
      nRows: users.size,
      nCols: items.size,
      indptr: a.userItemsIndptr!.data as Int32Array,
      indices: a.userItemsIndices!.data as Int32Array,
      values: new Float32Array(a.userItemsIndices!.data.length).fill(1),
    };
    model.restore(
      users,
      items,
      userItems,
      a.counts!.data as Float32Array,
      a.itemVectors!.data as Float32Array,
    );
    return model;
  },
};

/**
 * A seeded synthetic dataset: `nUsers` users with 5..24 interactions each over `nItems` items (skewed towards
 * low item ids, like MovieLens's popularity), with raw ids that are not dense (user 10*u+1, item 7*i+3).
 */
export function syntheticTraining(
  nUsers: number,
  nItems: number,
  seed = 1,
): TrainingMatrix & { rawUsers: Int32Array; rawItems: Int32Array } {
  const rng = createRng(seed);
  const rawUsers: number[] = [];
  const rawItems: number[] = [];
  for (let u = 0; u < nUsers; u++) {
    const seen = new Set<number>();
    const count = 5 + rng.int(20);
    while (seen.size < Math.min(count, nItems)) seen.add(Math.floor(nItems * rng.next() ** 2));
    for (const i of seen) {
      rawUsers.push(10 * u + 1);
      rawItems.push(7 * i + 3);
    }
  }
  const users = createIdEncoder(rawUsers);
  const items = createIdEncoder(rawItems);
  const userItems = buildCsr(users.size, items.size, encodeAll(users, rawUsers), encodeAll(items, rawItems));
  return {
    users,
    items,
    userItems,
    rawUsers: Int32Array.from(rawUsers),
    rawItems: Int32Array.from(rawItems),
  };
}
