import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArtifactIntegrityError, NotFoundError, ValidationError } from '../../src/core/errors.js';
import {
  MANIFEST_JSON,
  MODEL_JSON,
  SHARD_BYTES,
  STATE_JSON,
  VERSION_PATTERN,
} from '../../src/artifacts/format.js';
import { listArtifacts } from '../../src/artifacts/list.js';
import { loadArtifact } from '../../src/artifacts/load.js';
import { currentPointerKey, promoteArtifact, readCurrentPointer } from '../../src/artifacts/pointer.js';
import { saveArtifact } from '../../src/artifacts/save.js';
import { createLocalStore } from '../../src/storage/local.js';
import type { ArtifactStore } from '../../src/storage/types.js';
import { tf } from '../../src/tf/tf.js';
import { describeEachBackend } from '../support/backends.js';
import { syntheticTraining, VectorModel, vectorFactory } from './vector-model.js';

let root: string;
let store: ArtifactStore;
beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'recsys-artifacts-'));
  store = createLocalStore(root);
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const train = syntheticTraining(60, 40);
const movies = Array.from(train.items.rawIds, (id) => ({
  movieId: id,
  title: `Movie ${id} (1999)`,
  year: 1999,
  genres: ['Drama'],
}));

async function fitted(dim = 8): Promise<VectorModel> {
  const model = new VectorModel({ dim });
  await model.fit(train);
  return model;
}

describeEachBackend('artifact round trip', () => {
  it('save -> load gives identical recommendations and similar items, and leaks no tensor', async () => {
    const model = await fitted();
    const users = Int32Array.from({ length: train.users.size }, (_, u) => u);
    const before = await model.recommend(users, 10);
    const similarBefore = await model.similarItems(Int32Array.of(0, 5, 17), 5);

    const tensors = tf.memory().numTensors;
    const ref = await saveArtifact(store, model, {
      seen: train.userItems,
      movies,
      metrics: { 'ndcg@10': 0.1 },
      dataset: { name: 'synthetic', hash: 'abc', interactions: train.userItems.indices.length },
      split: 'none',
    });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(ref.version).toMatch(VERSION_PATTERN);
    expect(ref.location).toBe(path.join(root, 'popularity', ref.version));

    const loaded = await loadArtifact(store, 'popularity', ref.version, { factory: vectorFactory });
    expect(tf.memory().numTensors - tensors).toBe(1); // only the loaded model's own item vectors
    const after = await loaded.model.recommend(users, 10);
    expect(Array.from(after.ids)).toEqual(Array.from(before.ids));
    expect(Array.from(after.scores)).toEqual(Array.from(before.scores));
    const similarAfter = await loaded.model.similarItems(Int32Array.of(0, 5, 17), 5);
    expect(Array.from(similarAfter.ids)).toEqual(Array.from(similarBefore.ids));
    expect(Array.from(similarAfter.scores)).toEqual(Array.from(similarBefore.scores));
    expect(Array.from(loaded.model.users.rawIds)).toEqual(Array.from(train.users.rawIds));
    expect(Array.from(loaded.model.items.rawIds)).toEqual(Array.from(train.items.rawIds));
    expect(Array.from(loaded.seen!.indptr)).toEqual(Array.from(train.userItems.indptr));
    expect(Array.from(loaded.seen!.indices)).toEqual(Array.from(train.userItems.indices));
    expect(loaded.movies!.get(train.items.rawIds[3]!)).toEqual({
      title: `Movie ${train.items.rawIds[3]} (1999)`,
      genres: 'Drama',
    });
    expect(loaded.manifest.metrics).toEqual({ 'ndcg@10': 0.1 });
    loaded.model.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(tensors - 1);
  });
});

describe('artifact format', () => {
  it('writes a stock Layers model.json, the state beside it, and a manifest hashing every file', async () => {
    const model = await fitted();
    const ref = await saveArtifact(store, model, { seen: train.userItems });
    model.dispose();
    const dir = path.join(root, 'popularity', ref.version);
    expect((await fs.readdir(dir)).sort()).toEqual([
      'group1-shard1of1.bin',
      MANIFEST_JSON,
      MODEL_JSON,
      'state-shard1of1.bin',
      STATE_JSON,
    ]);
    const modelJson = JSON.parse(await fs.readFile(path.join(dir, MODEL_JSON), 'utf8'));
    expect(modelJson.format).toBe('layers-model');
    expect(modelJson.modelTopology.class_name).toBe('Sequential');
    expect(modelJson.weightsManifest[0].paths).toEqual(['group1-shard1of1.bin']);
    expect(modelJson.weightsManifest[0].weights.map((w: { name: string }) => w.name)).toEqual([
      'item_scores/kernel',
      'item_scores/bias',
    ]);

    const stateJson = JSON.parse(await fs.readFile(path.join(dir, STATE_JSON), 'utf8'));
    expect(stateJson.format).toBe('recsys-model-state');
    expect(stateJson.generatedBy).toMatch(/TensorFlow\.js \d/);
    expect(stateJson.convertedBy).toBeNull();
    expect(stateJson.modelTopology).toMatchObject({
      kind: 'popularity',
      formatVersion: 1,
      hyperparameters: { dim: 8, seed: 7 },
    });
    expect(stateJson.weightsManifest[0].paths).toEqual(['state-shard1of1.bin']);
    const names = stateJson.weightsManifest[0].weights.map((w: { name: string }) => w.name);
    expect(names).toEqual([
      'model/counts',
      'model/itemVectors',
      'model/userItemsIndptr',
      'model/userItemsIndices',
      'ids/users',
      'ids/items',
      'seen/indptr',
      'seen/indices',
    ]);
    expect(stateJson.weightsManifest[0].weights[1]).toEqual({
      name: 'model/itemVectors',
      shape: [40, 8],
      dtype: 'float32',
    });
    expect(stateJson.weightsManifest[0].weights[4]).toEqual({
      name: 'ids/users',
      shape: [60],
      dtype: 'int32',
    });

    const manifest = JSON.parse(await fs.readFile(path.join(dir, MANIFEST_JSON), 'utf8'));
    expect(manifest).toMatchObject({
      formatVersion: 2,
      kind: 'popularity',
      version: ref.version,
      idMaps: { users: 60, items: 40 },
      scoring: { input: 'user' },
    });
    expect(manifest.backend).toBe(tf.getBackend());
    for (const name of [MODEL_JSON, 'group1-shard1of1.bin', STATE_JSON, 'state-shard1of1.bin']) {
      const bytes = await fs.readFile(path.join(dir, name));
      expect(manifest.files[name]).toEqual({
        bytes: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      });
    }
  });

  it('cuts weights over 4 MB into shards of at most 4 MB, as TF.js does, and reads them back', async () => {
    const model = await fitted(30_000); // 40 x 30000 floats = 4.8 MB
    const ref = await saveArtifact(store, model);
    const dir = path.join(root, 'popularity', ref.version);
    const shards = (await fs.readdir(dir)).filter((n) => n.endsWith('.bin')).sort();
    expect(shards).toEqual(['group1-shard1of1.bin', 'state-shard1of2.bin', 'state-shard2of2.bin']);
    expect((await fs.stat(path.join(dir, shards[1]!))).size).toBe(SHARD_BYTES);
    const loaded = await loadArtifact(store, 'popularity', ref.version, { factory: vectorFactory });
    const similar = await loaded.model.similarItems(Int32Array.of(1), 3);
    expect(Array.from(similar.scores)).toEqual(
      Array.from((await model.similarItems(Int32Array.of(1), 3)).scores),
    );
    loaded.model.dispose();
    model.dispose();
  });
});

describe('artifact integrity', () => {
  let version: string;
  let dir: string;
  beforeEach(async () => {
    const model = await fitted();
    version = (await saveArtifact(store, model, { seen: train.userItems, movies })).version;
    model.dispose();
    dir = path.join(root, 'popularity', version);
  });
  const load = () => loadArtifact(store, 'popularity', version, { factory: vectorFactory });

  it('refuses a shard with one flipped byte, naming the file', async () => {
    const shard = path.join(dir, 'state-shard1of1.bin');
    const bytes = await fs.readFile(shard);
    bytes[100] = bytes[100]! ^ 0x01;
    await fs.writeFile(shard, bytes);
    const tensors = tf.memory().numTensors;
    await expect(load()).rejects.toThrow(ArtifactIntegrityError);
    await expect(load()).rejects.toThrow(/state-shard1of1\.bin.*sha256/);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('refuses a missing shard, a missing model.json, an edited movies.json and a missing manifest', async () => {
    // Each damage alone, the file restored afterwards, so each check names its own file.
    const cases: [string, 'remove' | 'append', (size: number) => string][] = [
      ['group1-shard1of1.bin', 'remove', () => 'the file is missing'],
      ['state-shard1of1.bin', 'remove', () => 'the file is missing'],
      [MODEL_JSON, 'remove', () => 'the file is missing'],
      [STATE_JSON, 'remove', () => 'the file is missing'],
      ['movies.json', 'append', (size) => `${size + 1} bytes, the manifest says ${size}`],
      [MANIFEST_JSON, 'remove', () => 'the file is missing (an incomplete version)'],
    ];
    for (const [name, damage, reason] of cases) {
      const file = path.join(dir, name);
      const original = await fs.readFile(file);
      if (damage === 'remove') await fs.rm(file);
      else await fs.appendFile(file, ' ');
      const error = await load().catch((e: unknown) => e);
      expect(error, name).toBeInstanceOf(ArtifactIntegrityError);
      expect((error as Error).message).toBe(`artifact ${file} is not intact: ${reason(original.length)}`);
      await fs.writeFile(file, original);
    }
    const intact = await load();
    intact.model.dispose();
  });

  it('refuses another artifact format version and a manifest that is not JSON', async () => {
    const file = path.join(dir, MANIFEST_JSON);
    const manifest = JSON.parse(await fs.readFile(file, 'utf8'));
    await fs.writeFile(file, JSON.stringify({ ...manifest, formatVersion: 3 }));
    await expect(load()).rejects.toThrow(/artifact format version 3; this build reads version 2$/);
    // An artifact of the previous format (a model.json holding the state) asks to be retrained.
    await fs.writeFile(file, JSON.stringify({ ...manifest, formatVersion: 1 }));
    await expect(load()).rejects.toThrow(
      /artifact format version 1; this build reads version 2; it was saved by an older recsys: retrain it \(recsys train --model popularity\)/,
    );
    await fs.writeFile(file, '{"formatVersion": 1,');
    await expect(load()).rejects.toThrow(/manifest\.json is not intact: not JSON/);
  });

  it('refuses a version that does not exist and a malformed version name', async () => {
    await expect(
      loadArtifact(store, 'popularity', '20200101T000000000Z-00000000', { factory: vectorFactory }),
    ).rejects.toThrow(NotFoundError);
    await expect(loadArtifact(store, 'popularity', '../x', { factory: vectorFactory })).rejects.toThrow(
      ValidationError,
    );
  });
});

describe('failed saves and promotion', () => {
  it('leaves no version and no staging folder, and current unchanged, when getState throws', async () => {
    const good = await fitted();
    const first = await saveArtifact(store, good);
    await promoteArtifact(store, 'popularity', first.version);
    const broken = await fitted();
    broken.getState = () => {
      throw new Error('state unavailable');
    };
    await expect(saveArtifact(store, broken)).rejects.toThrow('state unavailable');
    expect(await fs.readdir(path.join(root, 'popularity'))).toEqual(['current', first.version].sort());
    expect(await readCurrentPointer(store, 'popularity')).toBe(first.version);
    good.dispose();
    broken.dispose();
  });

  it('leaves nothing behind when the disk fails in the middle of a save', async () => {
    const model = await fitted();
    const first = await saveArtifact(store, model, { now: new Date('2026-01-01T00:00:00Z') });
    await promoteArtifact(store, 'popularity', first.version);
    // The real local store underneath; its staged writes fail from the second file on, as on a full disk.
    const failing: ArtifactStore = {
      ...store,
      async stage(prefix) {
        const staged = await store.stage(prefix);
        let writes = 0;
        return {
          ...staged,
          async write(name, bytes) {
            if (++writes >= 2)
              throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
            await staged.write(name, bytes);
          },
        };
      },
    };
    const tensors = tf.memory().numTensors;
    await expect(saveArtifact(failing, model, { movies })).rejects.toThrow(/ENOSPC/);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(await fs.readdir(path.join(root, 'popularity'))).toEqual(['current', first.version].sort());
    expect(await readCurrentPointer(store, 'popularity')).toBe(first.version);
    expect((await listArtifacts(store)).map((a) => a.version)).toEqual([first.version]);
    model.dispose();
  });

  it('promote moves current atomically to a verified version and list marks it', async () => {
    const model = await fitted();
    const a = await saveArtifact(store, model, { now: new Date('2026-01-01T00:00:00Z') });
    const b = await saveArtifact(store, model, { now: new Date('2026-01-02T00:00:00Z') });
    model.dispose();
    expect(await readCurrentPointer(store, 'popularity')).toBeNull();
    await expect(loadArtifact(store, 'popularity', 'current', { factory: vectorFactory })).rejects.toThrow(
      NotFoundError,
    );

    expect(await promoteArtifact(store, 'popularity', a.version)).toEqual({
      previous: null,
      current: a.version,
    });
    expect(await promoteArtifact(store, 'popularity', b.version)).toEqual({
      previous: a.version,
      current: b.version,
    });
    const pointerFile = store.localPath(currentPointerKey('popularity'))!;
    expect(pointerFile).toBe(path.join(root, 'popularity', 'current'));
    expect(await fs.readFile(pointerFile, 'utf8')).toBe(`${b.version}\n`);
    expect((await fs.readdir(path.join(root, 'popularity'))).filter((n) => n.startsWith('.'))).toEqual([]);

    const loaded = await loadArtifact(store, 'popularity', 'current', { factory: vectorFactory });
    expect(loaded.ref.version).toBe(b.version);
    loaded.model.dispose();
    const listed = await listArtifacts(store);
    expect(listed.map((x) => [x.version, x.current])).toEqual([
      [a.version, false],
      [b.version, true],
    ]);

    // A missing or damaged version is refused and current stays where it was.
    await expect(promoteArtifact(store, 'popularity', '20200101T000000000Z-00000000')).rejects.toThrow(
      NotFoundError,
    );
    await fs.appendFile(path.join(root, 'popularity', a.version, MODEL_JSON), ' ');
    await expect(promoteArtifact(store, 'popularity', a.version)).rejects.toThrow(ArtifactIntegrityError);
    expect(await readCurrentPointer(store, 'popularity')).toBe(b.version);
  });
});
