import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGcsStore } from '../../src/storage/gcs.js';
import { MOVIELENS_DIR, tempDir } from '../api/support.js';
import { startFakeGcs, type FakeGcs } from '../support/fake-gcs.js';
import { runRecsys } from '../support/recsys-process.js';

/**
 * The data command lines on gs:// only, as real processes against the in-process fake of GCS
 * (STORAGE_EMULATOR_HOST): `recsys data etl` reads raw MovieLens from gs:// and writes Parquet to gs://, then
 * `recsys train` on another "machine" (a fresh cache, no MOVIELENS_DIR) reads that Parquet from gs:// and
 * writes its artifact and the current pointer to gs://. A bad URI fails naming the variable.
 */

const BUCKET = 'recsys-data-cli';
let gcs: FakeGcs;
let work: { dir: string; remove: () => Promise<void> };

beforeAll(async () => {
  gcs = await startFakeGcs();
  work = await tempDir('gcs-data-cli');
  const raw = createGcsStore(`gs://${BUCKET}/movielens`, { endpoint: gcs.endpoint, projectId: 'test' });
  for (const name of ['u.data', 'u.item', 'u.user', 'u.genre']) {
    await raw.write(`ml-100k/${name}`, await fs.readFile(path.join(MOVIELENS_DIR, 'ml-100k', name)));
  }
});
afterAll(async () => {
  await gcs?.close();
  await work?.remove();
});

function recsys(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return runRecsys(args, { STORAGE_EMULATOR_HOST: gcs.endpoint, LOG_LEVEL: 'warn', ...env });
}

describe('recsys data etl and train on gs:// (fake GCS)', () => {
  it('etl: raw from gs:// to Parquet on gs://; train: that Parquet from gs:// to an artifact on gs://', async () => {
    const etl = await recsys(['data', 'etl', 'ml-100k'], {
      MOVIELENS_DIR: `gs://${BUCKET}/movielens`,
      RECSYS_DATA_DIR: `gs://${BUCKET}/data`,
      RECSYS_CACHE_DIR: path.join(work.dir, 'etl-cache'),
    });
    expect(etl.code, etl.stderr).toBe(0);
    expect(etl.stdout).toContain(`ml-100k: converted in gs://${BUCKET}/data/parquet/ml-100k`);
    expect(etl.stdout).toMatch(/ratings\.parquet\s+100000 rows/);
    const objects = gcs.objects(BUCKET);
    for (const file of ['ratings.parquet', 'movies.parquet', 'users.parquet', 'etl.json'])
      expect(objects.has(`data/parquet/ml-100k/${file}`), file).toBe(true);

    const logFrom = gcs.log.length;
    const train = await recsys(
      ['train', '--dataset', 'ml-100k', '--model', 'als', '--factors', '8', '--iterations', '3'],
      {
        RECSYS_DATA_DIR: `gs://${BUCKET}/data`,
        RECSYS_ARTIFACTS: `gs://${BUCKET}/artifacts`,
        RECSYS_CACHE_DIR: path.join(work.dir, 'train-cache'),
        RECSYS_WORKERS: '1',
      },
    );
    expect(train.code, train.stderr).toBe(0);
    const version = /artifact: gs:\/\/recsys-data-cli\/artifacts\/als\/(\S+)/.exec(train.stdout)?.[1];
    expect(version, train.stdout).toBeDefined();
    expect(objects.get('artifacts/als/current')?.bytes.toString().trim()).toBe(version);
    const manifest = JSON.parse(
      objects.get(`artifacts/als/${version}/manifest.json`)?.bytes.toString() ?? '{}',
    );
    expect(manifest.dataset.interactions).toBe(100_000);
    // Training read the Parquet from gs:// and never a raw file, and wrote no Parquet.
    const seen = gcs.log.slice(logFrom);
    const media = seen
      .filter((e) => e.method === 'GET' && e.query.includes('alt=media'))
      .map((e) => e.object);
    expect(media).toContain('data/parquet/ml-100k/ratings.parquet');
    expect(media.filter((o) => o?.startsWith('movielens/'))).toEqual([]);
    expect(seen.filter((e) => e.method === 'POST' && e.object?.startsWith('data/'))).toEqual([]);
  }, 300_000);

  it('a malformed gs:// URI fails before anything runs, naming the variable', async () => {
    const result = await recsys(['data', 'etl', 'ml-100k'], {
      MOVIELENS_DIR: 'gs://',
      RECSYS_DATA_DIR: path.join(work.dir, 'data'),
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('MOVIELENS_DIR');
    expect(result.stderr).toContain('gs://<bucket>');
    const scheme = await recsys(['train', '--dataset', 'ml-100k'], { RECSYS_DATA_DIR: 's3://bucket/data' });
    expect(scheme.code).not.toBe(0);
    expect(scheme.stderr).toContain("RECSYS_DATA_DIR: unknown scheme 's3://'");
  }, 120_000);
});
