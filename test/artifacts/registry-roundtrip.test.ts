/**
 * Every model the registry builds survives save -> load with identical recommendations (ids and scores) and
 * similar items, on real data: ml-100k, positives = rating >= 4 as in the seed protocol.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadArtifact } from '../../src/artifacts/load.js';
import { saveArtifact } from '../../src/artifacts/save.js';
import { trainingMatrix } from '../../src/dataset/confidence.js';
import { interactionsToCsr } from '../../src/dataset/csr.js';
import { interactionsFromRatings } from '../../src/dataset/interactions.js';
import { REGISTERED_KINDS, getModelFactory } from '../../src/models/registry.js';
import { createLocalStore } from '../../src/storage/local.js';
import { tf } from '../../src/tf/tf.js';
import { readUData, toRatingsTable } from '../dataset/ml100k.js';
import { BACKENDS, describeEachBackend } from '../support/backends.js';

/** Small settings so each fit takes a moment; a kind missing here runs with its defaults. */
const QUICK: Record<string, Record<string, number>> = {
  als: { factors: 16, iterations: 2 },
  itemknn: { neighbours: 50 },
  neural: { epochs: 3 },
};

const interactions = interactionsFromRatings(toRatingsTable(readUData()));
const train = trainingMatrix(interactions, { weighting: 'binary', threshold: 4 });
const seen = interactionsToCsr(interactions);
const allUsers = Int32Array.from({ length: interactions.users.size }, (_, u) => u);
const someItems = Int32Array.of(0, 49, 99, 180, 1000);

let root: string;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'recsys-roundtrip-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describeEachBackend(
  'artifact round trip of every registered model on ml-100k',
  (backend) => {
    for (const kind of REGISTERED_KINDS) {
      it(`${kind}: save -> load gives the same ids and scores, seen items excluded, no tensor leaked`, async () => {
        const store = createLocalStore(path.join(root, backend));
        const factory = getModelFactory(kind);
        const start = tf.memory().numTensors;
        const model = factory.create(factory.parseHyperparameters(QUICK[kind] ?? {}));
        await model.fit(train);
        const before = await model.recommend(allUsers, 10, { exclude: seen });
        const similarBefore = await model.similarItems(someItems, 10);

        const tensors = tf.memory().numTensors;
        const ref = await saveArtifact(store, model, { seen });
        expect(tf.memory().numTensors).toBe(tensors);
        const loaded = await loadArtifact(store, kind, ref.version);
        const after = await loaded.model.recommend(allUsers, 10, { exclude: loaded.seen! });
        const similarAfter = await loaded.model.similarItems(someItems, 10);

        expect(loaded.model.kind).toBe(kind);
        expect(loaded.manifest.hyperparameters).toEqual({ ...model.hyperparameters });
        expect(Array.from(after.ids)).toEqual(Array.from(before.ids));
        expect(Array.from(after.scores)).toEqual(Array.from(before.scores));
        expect(Array.from(similarAfter.ids)).toEqual(Array.from(similarBefore.ids));
        expect(Array.from(similarAfter.scores)).toEqual(Array.from(similarBefore.scores));
        // Real recommendations: k items per user, none of them rated by the user.
        for (let u = 0; u < allUsers.length; u++) {
          const rated = new Set(seen.indices.subarray(seen.indptr[u], seen.indptr[u + 1]));
          const row = Array.from(after.ids.subarray(u * 10, u * 10 + 10));
          expect(row.every((i) => i >= 0 && !rated.has(i))).toBe(true);
        }
        loaded.model.dispose();
        model.dispose();
        expect(tf.memory().numTensors).toBe(start);
      });
    }
  },
  // The fastest backend present: the format itself is checked on every backend in format.test.ts, and
  // fitting item-kNN on the pure-JS cpu backend alone takes ~12 s.
  BACKENDS.slice(0, 1),
);
