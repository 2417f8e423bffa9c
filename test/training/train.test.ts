import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadArtifact } from '../../src/artifacts/load.js';
import { promoteArtifact, readCurrentPointer } from '../../src/artifacts/pointer.js';
import { ValidationError } from '../../src/core/errors.js';
import { loadDatasetTables } from '../../src/data/load.js';
import { rowsOf } from '../../src/eval/evaluator.js';
import type { DatasetTables } from '../../src/data/schema.js';
import { createLocalStore } from '../../src/storage/local.js';
import { initBackend } from '../../src/tf/backend.js';
import { tf } from '../../src/tf/tf.js';
import { datasetFingerprint } from '../../src/training/fingerprint.js';
import { trainToArtifact } from '../../src/training/pipeline.js';
import { trainingValues, trainOnDataset } from '../../src/training/train.js';

const ML100K = path.resolve(process.cwd(), '..', 'shared', 'movielens', 'ml-100k');
let tmp: string;
let tables: DatasetTables;

beforeAll(async () => {
  await initBackend('auto');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'recsys-training-'));
  tables = await loadDatasetTables('ml-100k', { dataDir: path.join(tmp, 'data'), from: ML100K });
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('trainOnDataset', () => {
  it('fits on every rating of the dataset with binary positives (rating >= 4) and keeps every rated item as seen', async () => {
    const positives = Array.from(tables.ratings.rating!).filter((r) => r >= 4).length;
    const trained = await trainOnDataset({ tables, dataset: 'ml-100k', kind: 'popularity' });
    try {
      expect(trained.dataset).toMatchObject({
        name: 'ml-100k',
        users: 943,
        items: 1682,
        interactions: 100_000,
        positives,
      });
      expect(trained.dataset.hash).toBe(datasetFingerprint(tables.ratings));
      expect(trained.seen.indices.length).toBe(100_000);
      expect(trained.model.users.size).toBe(943);
      expect(trained.metrics).toBeNull();
      expect(trained.evaluation).toBeNull();
      // Popularity counts positives: item 50 (Star Wars) has the most 4-5 star ratings in ml-100k.
      const counts = new Map<number, number>();
      tables.ratings.movieId.forEach((m, i) => {
        if (tables.ratings.rating![i]! >= 4) counts.set(m, (counts.get(m) ?? 0) + 1);
      });
      const top = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
      const recs = await trained.model.recommend(Int32Array.of(trained.model.users.toDense(1)), 1, {
        excludeSeen: false,
      });
      expect(trained.model.items.toRaw(recs.ids[0]!)).toBe(top);
    } finally {
      trained.model.dispose();
    }
  });

  it('treats every interaction as a positive on implicit-only data (no ratings)', async () => {
    const implicit = { ...tables, ratings: { ...tables.ratings, rating: null } };
    const trained = await trainOnDataset({
      tables: implicit,
      dataset: 'ml-100k-implicit',
      kind: 'popularity',
    });
    trained.model.dispose();
    expect(trained.values).toEqual({ weighting: 'binary', threshold: 'none' });
    expect(trained.dataset.positives).toBe(100_000);
    expect(trained.dataset.hash).not.toBe(datasetFingerprint(tables.ratings));
  });

  it('with evaluate, carries test metrics measured under the seed protocol', async () => {
    const trained = await trainOnDataset({ tables, dataset: 'ml-100k', kind: 'popularity', evaluate: true });
    trained.model.dispose();
    // The reference for popularity on ml-100k under the seed protocol is NDCG@10 0.0698 (-5% allowed).
    expect(trained.metrics!['ndcg@10']).toBeGreaterThan(0.0698 * 0.95);
    expect(trained.metrics!['ndcg@10']).toBeLessThan(0.2);
    expect(trained.metrics!.users_evaluated).toBeGreaterThan(0);
    expect(trained.evaluation!.split).toMatch(
      /^seed-temporal \(temporal-leave-n: per user 5 to test, 1 to validation/,
    );
  });

  it('refuses an unknown model and bad hyperparameters naming the field', async () => {
    await expect(trainOnDataset({ tables, dataset: 'ml-100k', kind: 'nope' as 'als' })).rejects.toThrow(
      ValidationError,
    );
    const error = await trainOnDataset({
      tables,
      dataset: 'ml-100k',
      kind: 'itemknn',
      hyperparameters: { neighbours: -3 },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toMatch(/neighbours/);
  });

  it('trains explicit models on rating values and binary ones on positives', () => {
    expect(trainingValues({}, true)).toEqual({ weighting: 'binary', threshold: 4 });
    expect(trainingValues({ explicit: false }, false)).toEqual({ weighting: 'binary', threshold: 'none' });
    expect(trainingValues({ explicit: true }, true)).toEqual({ weighting: 'rating', threshold: 'none' });
    expect(() => trainingValues({ explicit: true }, false)).toThrow(ValidationError);
  });

  it('gives the same dataset hash for the same ratings and another for changed ones', () => {
    const changed = { ...tables.ratings, rating: tables.ratings.rating!.slice() };
    changed.rating[0] = changed.rating[0] === 5 ? 4 : 5;
    expect(datasetFingerprint({ ...tables.ratings })).toBe(datasetFingerprint(tables.ratings));
    expect(datasetFingerprint(changed)).not.toBe(datasetFingerprint(tables.ratings));
  });
});

describe('trainToArtifact', () => {
  it('saves an artifact with titles and every rated item, promotes it, and loading it excludes low-rated items too', async () => {
    const store = createLocalStore(path.join(tmp, 'artifacts'));
    const tensors = tf.memory().numTensors;
    const first = await trainToArtifact({ store, tables, dataset: 'ml-100k', kind: 'popularity' });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(first.promoted).toBe(true);
    expect(first.previous).toBeNull();
    expect(await readCurrentPointer(store, 'popularity')).toBe(first.ref.version);
    expect(first.manifest.dataset).toMatchObject({
      name: 'ml-100k',
      users: 943,
      items: 1682,
      interactions: 100_000,
    });
    expect(first.manifest.seen).toEqual({ nnz: 100_000 });
    expect(first.manifest.movies).toBe(1682);
    expect(first.manifest.training).toMatchObject({ threshold: 4, weighting: 'binary', iterations: 1 });

    const loaded = await loadArtifact(store, 'popularity');
    const user = loaded.model.users.toDense(1);
    const rated = new Set(
      loaded.seen!.indices.subarray(loaded.seen!.indptr[user], loaded.seen!.indptr[user + 1]),
    );
    const all = Int32Array.of(user);
    const withSeen = await loaded.model.recommend(all, 50, { exclude: rowsOf(loaded.seen!, all) });
    const positivesOnly = await loaded.model.recommend(all, 50);
    // User 1 rated some popular movies below 4: only the seen matrix keeps them out.
    expect(Array.from(positivesOnly.ids).some((i) => rated.has(i))).toBe(true);
    expect(Array.from(withSeen.ids).some((i) => rated.has(i))).toBe(false);
    expect(loaded.movies!.get(50)).toEqual({
      title: 'Star Wars (1977)',
      genres: 'Action|Adventure|Romance|Sci-Fi|War',
    });
    loaded.model.dispose();

    const second = await trainToArtifact({
      store,
      tables,
      dataset: 'ml-100k',
      kind: 'popularity',
      promote: false,
    });
    expect(second.promoted).toBe(false);
    expect(await readCurrentPointer(store, 'popularity')).toBe(first.ref.version);
    await promoteArtifact(store, 'popularity', second.ref.version);
    expect(await readCurrentPointer(store, 'popularity')).toBe(second.ref.version);
  });
});
