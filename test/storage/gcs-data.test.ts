import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ArtifactIntegrityError, ConfigError, NotFoundError } from '../../src/core/errors.js';
import { loadDatasetTables } from '../../src/data/load.js';
import {
  type DataLocation,
  downloadDatasetAt,
  gcsMirrorDir,
  loadDatasetTablesAt,
  runEtlAt,
} from '../../src/storage/data-location.js';
import { createGcsStore } from '../../src/storage/gcs.js';
import { datasetFingerprint } from '../../src/training/fingerprint.js';
import { MOVIELENS_DIR, tempDir } from '../api/support.js';
import { startFakeGcs, type FakeGcs } from '../support/fake-gcs.js';
import { createZip, type ZipEntry } from '../support/zip.js';

/**
 * gs:// for raw data and Parquet (src/storage/data-location.ts) against the in-process fake of the GCS JSON
 * API with the real @google-cloud/storage client: the ETL reads MovieLens from gs:// and writes Parquet to
 * gs://, loading reads that Parquet back with no raw files, a second machine's ETL is a no-op, a changed
 * input re-uploads with etl.json removed first and written last, a failed upload leaves no etl.json, damaged
 * copies are refused, and bad URIs fail naming the variable.
 */

const BUCKET = 'recsys-data-test';
const ML100K_FILES = ['u.data', 'u.item', 'u.user', 'u.genre', 'README'];

let gcs: FakeGcs;
let work: { dir: string; remove: () => Promise<void> };
let run = 0;

beforeAll(async () => {
  gcs = await startFakeGcs();
  work = await tempDir('gcs-data');
});
afterAll(async () => {
  await gcs?.close();
  await work?.remove();
});

/** A fresh bucket prefix holding ml-100k's files under `movielens/ml-100k`, and a location over it. */
async function freshLocation(): Promise<{ root: string; location: DataLocation }> {
  run += 1;
  const root = `gs://${BUCKET}/run${run}`;
  const gcsOptions = { endpoint: gcs.endpoint, projectId: 'test', maxRetryDelaySeconds: 1, maxRetries: 2 };
  const raw = createGcsStore(`${root}/movielens`, gcsOptions);
  for (const name of ML100K_FILES) {
    await raw.write(`ml-100k/${name}`, await fs.readFile(path.join(MOVIELENS_DIR, 'ml-100k', name)));
  }
  return {
    root,
    location: {
      dataDir: `${root}/data`,
      from: `${root}/movielens`,
      cacheDir: path.join(work.dir, `cache${run}`),
      gcs: gcsOptions,
    },
  };
}

const objectName = (root: string, key: string): string => `${root.replace(`gs://${BUCKET}/`, '')}/${key}`;
const md5 = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('base64');
/** Object names the fake wrote (uploads) since log entry `from`, in order. */
const uploadsSince = (from: number): string[] =>
  gcs.log
    .slice(from)
    .filter((e) => e.path.endsWith('/o') && e.method === 'POST' && e.status === 200 && e.object)
    .map((e) => e.object as string);

describe('gs:// raw data and Parquet (fake GCS)', () => {
  it('ETL reads MovieLens from gs:// and writes Parquet to gs://; loading reads it back without raw files', async () => {
    const { root, location } = await freshLocation();
    const result = await runEtlAt('ml-100k', location);
    expect(result.reused).toBe(false);
    expect(result.location).toBe(`${root}/data/parquet/ml-100k`);
    const objects = gcs.objects(BUCKET);
    for (const file of ['ratings.parquet', 'movies.parquet', 'users.parquet', 'etl.json']) {
      const stored = objects.get(objectName(root, `data/parquet/ml-100k/${file}`));
      expect(stored, file).toBeDefined();
      // The stored object is byte for byte the file the ETL wrote.
      expect(stored?.md5).toBe(md5(await fs.readFile(path.join(result.dir, file))));
    }
    const manifest = JSON.parse(
      (objects.get(objectName(root, 'data/parquet/ml-100k/etl.json'))?.bytes ?? '').toString(),
    );
    expect(manifest.outputs.ratings.rows).toBe(100_000);

    // Another machine (empty cache, no MOVIELENS_DIR): the Parquet on gs:// is read; no raw file is fetched.
    const logFrom = gcs.log.length;
    const { from: _from, ...noRaw } = location;
    const tables = await loadDatasetTablesAt('ml-100k', {
      ...noRaw,
      cacheDir: path.join(work.dir, `cache${run}-reader`),
    });
    const fetched = gcs.log.slice(logFrom).filter((e) => e.method === 'GET' && e.query.includes('alt=media'));
    expect(fetched.some((e) => e.object?.includes('/movielens/'))).toBe(false);
    expect(fetched.some((e) => e.object?.endsWith('ratings.parquet'))).toBe(true);
    // The same tables the local path gives.
    const local = await loadDatasetTables('ml-100k', {
      dataDir: path.join(work.dir, 'local-data'),
      from: MOVIELENS_DIR,
    });
    expect(tables.ratings.length).toBe(100_000);
    expect(tables.movies.length).toBe(local.movies.length);
    expect(tables.users?.length).toBe(local.users?.length);
    expect(datasetFingerprint(tables.ratings)).toBe(datasetFingerprint(local.ratings));
  });

  it('a second machine with the same inputs re-runs nothing; a changed input re-uploads, etl.json deleted first and written last', async () => {
    const { root, location } = await freshLocation();
    await runEtlAt('ml-100k', location);

    // A fresh pod: the cache folder is gone, the objects are unchanged.
    await fs.rm(location.cacheDir, { recursive: true, force: true });
    let logFrom = gcs.log.length;
    const again = await runEtlAt('ml-100k', location);
    expect(again.reused).toBe(true);
    expect(uploadsSince(logFrom)).toEqual([]);

    // A rating changes in the raw u.data on gs://.
    const raw = createGcsStore(`${root}/movielens`, location.gcs);
    const data = (await raw.read('ml-100k/u.data')).toString().replace(/^(\d+\t\d+\t)\d/, '$15');
    await raw.write('ml-100k/u.data', Buffer.from(data));
    logFrom = gcs.log.length;
    const changed = await runEtlAt('ml-100k', location);
    expect(changed.reused).toBe(false);
    const deletes = gcs.log
      .slice(logFrom)
      .filter((e) => e.method === 'DELETE' && e.status < 300)
      .map((e) => e.object);
    expect(deletes).toContain(objectName(root, 'data/parquet/ml-100k/etl.json'));
    const uploaded = uploadsSince(logFrom);
    expect(uploaded.at(-1)).toBe(objectName(root, 'data/parquet/ml-100k/etl.json'));
    expect(uploaded).toContain(objectName(root, 'data/parquet/ml-100k/ratings.parquet'));
    // Files that did not change are not sent again.
    expect(uploaded).not.toContain(objectName(root, 'data/parquet/ml-100k/users.parquet'));
    const firstDelete = gcs.log.findIndex(
      (e, i) => i >= logFrom && e.method === 'DELETE' && e.object?.endsWith('etl.json'),
    );
    const firstUpload = gcs.log.findIndex(
      (e, i) => i >= logFrom && e.method === 'POST' && e.path.endsWith('/o'),
    );
    expect(firstDelete).toBeLessThan(firstUpload);
  });

  it('an upload that keeps failing leaves no etl.json on gs://, so no reader takes the half-written folder', async () => {
    const { root, location } = await freshLocation();
    // Every attempt the client makes (1 + maxRetries 2) fails.
    gcs.failNext(3, 503, (req) => req.upload && (req.object ?? '').endsWith('movies.parquet'));
    await expect(runEtlAt('ml-100k', location)).rejects.toThrow(/movies\.parquet/);
    const objects = gcs.objects(BUCKET);
    expect(objects.has(objectName(root, 'data/parquet/ml-100k/etl.json'))).toBe(false);
    // Run again: completed, etl.json last.
    const retried = await runEtlAt('ml-100k', location);
    expect(retried.location).toBe(`${root}/data/parquet/ml-100k`);
    expect(objects.has(objectName(root, 'data/parquet/ml-100k/etl.json'))).toBe(true);
  });

  it('refuses a copy damaged in transit twice, and names where it looked for a release that is not there', async () => {
    const { root, location } = await freshLocation();
    gcs.corruptNextDownload((req) => req.object?.endsWith('u.item') ?? false);
    gcs.corruptNextDownload((req) => req.object?.endsWith('u.item') ?? false);
    await expect(runEtlAt('ml-100k', location)).rejects.toBeInstanceOf(ArtifactIntegrityError);
    // Nothing half-copied is taken: the next run fetches u.item again and succeeds.
    expect((await runEtlAt('ml-100k', location)).manifest.outputs.movies.rows).toBe(1682);

    const missing = { ...location, from: `${root}/nothing-here` };
    const error = await runEtlAt('ml-100k', missing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(String(error)).toContain(`${root}/nothing-here/ml-100k/u.item`);
  });

  it('the downloader keeps a release under raw/<name> on a gs:// data dir: downloaded once, then copied from gs://', async () => {
    const { root, location } = await freshLocation();
    const entries: ZipEntry[] = [{ name: 'ml-100k/' }];
    for (const name of ML100K_FILES)
      entries.push({
        name: `ml-100k/${name}`,
        data: await fs.readFile(path.join(MOVIELENS_DIR, 'ml-100k', name)),
      });
    const zip = createZip(entries);
    const requests: string[] = [];
    const server = http.createServer((req, res) => {
      requests.push(req.url ?? '');
      res.writeHead(200, { 'content-length': String(zip.length) }).end(zip);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { from: _from, ...noRaw } = location;
      const download = {
        ...noRaw,
        baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
      };
      const expected = { md5: createHash('md5').update(zip).digest('hex') };
      const logFrom = gcs.log.length;
      const dir = await downloadDatasetAt('ml-100k', download, { expected });
      expect(requests).toEqual(['/ml-100k.zip']);
      const uploaded = uploadsSince(logFrom);
      for (const name of ML100K_FILES)
        expect(uploaded).toContain(objectName(root, `data/raw/ml-100k/${name}`));
      expect(uploaded.at(-1)).toBe(objectName(root, 'data/raw/ml-100k/recsys-complete.json'));
      expect(await fs.readFile(path.join(dir, 'u.item'))).toEqual(
        await fs.readFile(path.join(MOVIELENS_DIR, 'ml-100k', 'u.item')),
      );

      // Another machine: the release comes from gs://, not from the network; the ETL runs on it.
      const other = { ...download, cacheDir: `${location.cacheDir}-other` };
      const again = await downloadDatasetAt('ml-100k', other, { expected });
      expect(requests).toHaveLength(1);
      expect(again.startsWith(other.cacheDir)).toBe(true);
      const etl = await runEtlAt('ml-100k', other);
      expect(requests).toHaveLength(1);
      expect(etl.manifest.outputs.ratings.rows).toBe(100_000);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('bad URIs fail before anything runs, naming the variable', () => {
    const bad: [string, string, RegExp][] = [
      ['MOVIELENS_DIR', 'gs://', /gs:\/\/<bucket>/],
      ['MOVIELENS_DIR', 'gs://Bad Bucket/x', /gs:\/\/<bucket>/],
      ['RECSYS_DATA_DIR', 's3://bucket/data', /unknown scheme 's3:\/\/'/],
      ['RECSYS_DATA_DIR', 'gs://bucket/../etc', /gs:\/\/<bucket>/],
      ['RECSYS_ARTIFACTS', 'gs://bucket/.hidden', /gs:\/\/<bucket>/],
    ];
    for (const [name, value, message] of bad) {
      const error = (() => {
        try {
          loadConfig({ [name]: value });
          return undefined;
        } catch (e) {
          return e;
        }
      })();
      expect(error, `${name}=${value}`).toBeInstanceOf(ConfigError);
      expect(String((error as Error).message)).toContain(`config ${name}:`);
      expect(String((error as Error).message)).toMatch(message);
    }
    const ok = loadConfig({ MOVIELENS_DIR: 'gs://bkt/movielens', RECSYS_DATA_DIR: 'gs://bkt/data' });
    expect(ok.dataDir).toBe('gs://bkt/data');
    // No local folder under a gs:// data dir: the cache and PGlite default to local folders.
    expect(ok.cacheDir).not.toMatch(/^gs:/);
    expect(ok.pgliteDir).not.toMatch(/^gs:/);
    expect(gcsMirrorDir('/c', 'gs://bkt/a/b')).toBe(path.resolve('/c/gcs/bkt/a/b'));
  });
});
