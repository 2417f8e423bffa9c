import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiServer } from '../../src/api/serve.js';
import { loadArtifact } from '../../src/artifacts/load.js';
import { promoteArtifact } from '../../src/artifacts/pointer.js';
import { saveArtifact } from '../../src/artifacts/save.js';
import { createRng } from '../../src/core/rng.js';
import type { DatasetTables } from '../../src/data/schema.js';
import { createDatabase, type Database } from '../../src/db/client.js';
import { createStore } from '../../src/storage/store.js';
import { tf } from '../../src/tf/tf.js';
import { dropSchema, postgresUrl, uniqueSchemaName } from '../db/support.js';
import {
  call,
  loadMl100k,
  seed,
  startTestServer,
  tempDir,
  TEST_MODEL,
  trainTestArtifact,
} from './support.js';

const TOKEN = 'hot-swap-test-token';

/** A new version of the served model: the current one re-saved under a later timestamp, not promoted. */
async function saveNewVersion(artifactsDir: string, at: Date): Promise<string> {
  const store = createStore(artifactsDir);
  const { model, seen } = await loadArtifact(store, TEST_MODEL);
  try {
    return (await saveArtifact(store, model, { seen, now: at })).version;
  } finally {
    model.dispose();
  }
}

/** saveNewVersion, then promoted. */
async function promoteNewVersion(artifactsDir: string, at: Date): Promise<string> {
  const version = await saveNewVersion(artifactsDir, at);
  await promoteArtifact(createStore(artifactsDir), TEST_MODEL, version);
  return version;
}

/** Requests for random users from `workers` concurrent loops until stopped; every status is recorded. */
function fireContinuously(url: string, workers: number): { stop: () => Promise<Map<number, number>> } {
  const statuses = new Map<number, number>();
  const rng = createRng(7);
  let running = true;
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      const user = rng.int(943) + 1;
      const response = await fetch(`${url}/users/${user}/recommendations?k=10`).catch(() => undefined);
      const status = response?.status ?? 0;
      await response?.arrayBuffer();
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return statuses;
    },
  };
}

const version = async (url: string): Promise<string | undefined> =>
  (await call(`${url}/ready`)).body.model?.version;

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('hot swap of a newly promoted artifact [postgres]', () => {
  const schema = uniqueSchemaName('api_swap');
  let db: Database;
  let tables: DatasetTables;
  let artifactsDir: string;
  let server: ApiServer;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    const data = await tempDir('swap-data');
    const artifacts = await tempDir('swap-artifacts');
    cleanups.push(data.remove, artifacts.remove);
    artifactsDir = artifacts.dir;
    tables = await loadMl100k(data.dir);
    db = await createDatabase({ databaseUrl: postgresUrl(schema), pgliteDir: '' });
    cleanups.push(() => dropSchema(schema));
    await seed(db, tables);
  });

  afterAll(async () => {
    await server?.close();
    await db?.close();
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('answers 503 and reports not ready while no artifact exists, then picks up the first one promoted', async () => {
    // A long cache TTL: no refresh-ahead work in the background while tensors are counted.
    server = await startTestServer({
      db,
      artifactsDir,
      apiToken: TOKEN,
      watchIntervalMs: 200,
      ttlMs: 600_000,
    });
    const ready = await call(`${server.url}/ready`);
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({ status: 'not ready', database: true, model: null });
    const recommendations = await call(`${server.url}/users/1/recommendations`);
    expect(recommendations.status).toBe(503);
    expect(recommendations.body.error.code).toBe('MODEL_NOT_LOADED');

    const first = await trainTestArtifact(artifactsDir, tables);
    await waitFor(async () => (await version(server.url)) === first, 'the first artifact');
    expect((await call(`${server.url}/users/1/recommendations`)).status).toBe(200);
  });

  it('keeps answering 200 while a new artifact is promoted and reloaded under load, and frees the old model', async () => {
    const before = await version(server.url);
    const tensorsWithOneModel = tf.memory().numTensors;
    // ALS keeps its factors in tensors, so a model left undisposed would show here (item-kNN holds none).
    if (TEST_MODEL === 'als') expect(tensorsWithOneModel).toBeGreaterThan(0);
    const load = fireContinuously(server.url, 8);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const next = await promoteNewVersion(artifactsDir, new Date(Date.now() + 60_000));
    const reload = await call(`${server.url}/admin/reload`, { method: 'POST', token: TOKEN });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const statuses = await load.stop();

    expect(reload.status).toBe(200);
    // The watcher may have swapped first; either way the answer names the new version.
    expect(reload.body.model.version).toBe(next);
    expect(next).not.toBe(before);
    expect(await version(server.url)).toBe(next);
    expect([...statuses.keys()]).toEqual([200]);
    expect(statuses.get(200)).toBeGreaterThan(20);
    // The old model is disposed once its last request finishes: back to one model's tensors.
    await waitFor(async () => tf.memory().numTensors === tensorsWithOneModel, 'the old model to be disposed');
  });

  it('swaps on its own when the current pointer moves (pointer watch), with zero failed requests', async () => {
    const load = fireContinuously(server.url, 4);
    const next = await promoteNewVersion(artifactsDir, new Date(Date.now() + 120_000));
    await waitFor(async () => (await version(server.url)) === next, 'the watcher to load the new version');
    const statuses = await load.stop();
    expect([...statuses.keys()]).toEqual([200]);
  });

  it('a reload asked for after the pointer moved loads the new version even while an earlier reload runs', async () => {
    const store = createStore(artifactsDir);
    const middle = await saveNewVersion(artifactsDir, new Date(Date.now() + 180_000));
    const last = await saveNewVersion(artifactsDir, new Date(Date.now() + 240_000));
    await promoteArtifact(store, TEST_MODEL, middle);
    const running = server.service.reload(); // reads the pointer (middle), then loads that artifact
    await promoteArtifact(store, TEST_MODEL, last);
    const asked = await server.service.reload();
    expect((await running).model?.version).toBe(middle);
    expect(asked.model?.version).toBe(last);
    expect(await version(server.url)).toBe(last);
  });
});
