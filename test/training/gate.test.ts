import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCurrentPointer } from '../../src/artifacts/pointer.js';
import { loadDatasetTables } from '../../src/data/load.js';
import { AppError } from '../../src/core/errors.js';
import { createGcsStore } from '../../src/storage/gcs.js';
import { createLocalStore } from '../../src/storage/local.js';
import type { ArtifactStore } from '../../src/storage/types.js';
import { initBackend } from '../../src/tf/backend.js';
import { promoteIfNotWorse } from '../../src/training/gate.js';
import { trainToArtifact } from '../../src/training/pipeline.js';
import { startFakeGcs } from '../support/fake-gcs.js';

/**
 * The promotion gate over real artifacts: popularity trained and evaluated on ml-100k, then copies of that
 * version whose manifests claim other metrics (the files stay intact, so promotion's verification passes).
 */

const ML100K = path.resolve(process.cwd(), '..', 'shared', 'movielens', 'ml-100k');
let tmp: string;
let store: ArtifactStore;
let base: string;
let baseNdcg: number;

/** A copy of the base version named `version`, its manifest's metrics scaled by `factor` (or removed). */
async function variant(version: string, factor: number | null, to: ArtifactStore = store): Promise<string> {
  for (const name of await store.list(`popularity/${base}`)) {
    let bytes = await store.read(`popularity/${base}/${name}`);
    if (name === 'manifest.json') {
      const manifest = JSON.parse(new TextDecoder().decode(bytes));
      manifest.version = version;
      manifest.metrics =
        factor === null
          ? null
          : Object.fromEntries(
              Object.entries(manifest.metrics as Record<string, number>).map(([k, v]) => [k, v * factor]),
            );
      bytes = new TextEncoder().encode(JSON.stringify(manifest));
    }
    await to.write(`popularity/${version}/${name}`, bytes);
  }
  return version;
}

beforeAll(async () => {
  await initBackend('auto');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'recsys-gate-'));
  store = createLocalStore(path.join(tmp, 'artifacts'));
  const tables = await loadDatasetTables('ml-100k', { dataDir: path.join(tmp, 'data'), from: ML100K });
  const { ref, manifest } = await trainToArtifact({
    store,
    tables,
    dataset: 'ml-100k',
    kind: 'popularity',
    evaluate: true,
    promote: false,
  });
  base = ref.version;
  baseNdcg = manifest.metrics?.['ndcg@10'] as number;
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('promoteIfNotWorse', () => {
  it('promotes the newest version when there is no current one; refuses it once it is current', async () => {
    expect(baseNdcg).toBeGreaterThan(0);
    const first = await promoteIfNotWorse(store, 'popularity', undefined);
    expect(first).toMatchObject({
      candidate: base,
      current: null,
      promote: true,
      promoted: true,
      reason: 'no current version',
    });
    expect(await readCurrentPointer(store, 'popularity')).toBe(base);
    const again = await promoteIfNotWorse(store, 'popularity', undefined);
    expect(again).toMatchObject({
      promote: false,
      promoted: false,
      reason: 'the candidate is already current',
    });
  });

  it('keeps the current version when a metric is worse, within tolerance promotes, and a dry run moves nothing', async () => {
    const worse = await variant('20990101T000000000Z-0000000a', 0.9);
    const refused = await promoteIfNotWorse(store, 'popularity', undefined);
    expect(refused.candidate).toBe(worse);
    expect(refused.promote).toBe(false);
    expect(refused.reason).toMatch(/^worse than current: ndcg@10 .* < .*, recall@10/);
    expect(refused.comparison['ndcg@10']?.current).toBeCloseTo(baseNdcg, 10);
    expect(await readCurrentPointer(store, 'popularity')).toBe(base);

    const dry = await promoteIfNotWorse(store, 'popularity', worse, { tolerance: 0.5, dryRun: true });
    expect(dry).toMatchObject({ promote: true, promoted: false });
    expect(await readCurrentPointer(store, 'popularity')).toBe(base);

    const only = await promoteIfNotWorse(store, 'popularity', worse, {
      metrics: ['coverage@10'],
      tolerance: 1,
    });
    expect(only.promoted).toBe(true);
    expect(await readCurrentPointer(store, 'popularity')).toBe(worse);
  });

  it('promotes a better version, and never one without metrics', async () => {
    const better = await variant('20990101T000000000Z-0000000b', 1.1);
    expect((await promoteIfNotWorse(store, 'popularity', better)).promoted).toBe(true);
    const bare = await variant('20990101T000000000Z-0000000c', null);
    const refused = await promoteIfNotWorse(store, 'popularity', bare);
    expect(refused).toMatchObject({ promote: false, promoted: false });
    expect(refused.reason).toMatch(/has no ndcg@10, recall@10 \(train with --evaluate\)/);
    expect(await readCurrentPointer(store, 'popularity')).toBe(better);
    await expect(promoteIfNotWorse(store, 'popularity', '20990101T000000000Z-0000000d')).rejects.toThrow(
      /not found/,
    );
  });
});

describe('promoteIfNotWorse on GCS (the fake): two gates racing', () => {
  it('never promotes a version over one it was not compared with: one wins, the other fails or decides again', async () => {
    const gcs = await startFakeGcs();
    try {
      const open = (): ArtifactStore =>
        createGcsStore('gs://recsys-gate/race', { endpoint: gcs.endpoint, maxRetryDelaySeconds: 1 });
      const setup = open();
      for (const name of await store.list(`popularity/${base}`)) {
        await setup.write(`popularity/${base}/${name}`, await store.read(`popularity/${base}/${name}`));
      }
      await setup.writePointer('popularity/current', base);
      const a = await variant('20990202T000000000Z-000000a1', 1.1, setup);
      const b = await variant('20990202T000000000Z-000000b2', 1.2, setup);
      const results = await Promise.allSettled([
        promoteIfNotWorse(open(), 'popularity', a),
        promoteIfNotWorse(open(), 'popularity', b),
      ]);
      const final = await open().readPointer('popularity/current');
      const promoted = results.flatMap((r) =>
        r.status === 'fulfilled' && r.value.promoted ? [r.value] : [],
      );
      expect(promoted.length).toBeGreaterThanOrEqual(1);
      // The last write is the pointer's value, and it was compared with the version it replaced.
      const last = promoted.find((d) => d.candidate === final);
      expect(last).toBeDefined();
      if (promoted.length === 2) {
        // One after the other: the second decided against the first's version, not against base.
        const first = promoted.find((d) => d !== last);
        expect(last?.current).toBe(first?.candidate);
      } else {
        const other = results.find((r) => r.status === 'rejected' || !r.value.promoted);
        if (other?.status === 'rejected') {
          expect(other.reason).toBeInstanceOf(AppError);
          expect((other.reason as AppError).code).toBe('CONFLICT');
        } else {
          // It saw the winner as current and compared with it (a, worse than b, is then refused).
          expect(other?.value.current).toBe(final);
        }
      }
    } finally {
      await gcs.close();
    }
  });
});
