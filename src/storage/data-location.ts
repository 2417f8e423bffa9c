import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataFormatError, NotFoundError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { ProgressListener } from '../core/progress.js';
import type { DatasetName } from '../core/types.js';
import { CATALOG } from '../data/catalog.js';
import {
  COMPLETE_MARKER,
  downloadDataset,
  rawDatasetDir,
  type DownloadDatasetOptions,
} from '../data/download.js';
import {
  ETL_MANIFEST,
  type EtlOptions,
  type EtlResult,
  OUTPUT_FILES,
  readEtlManifest,
  runEtl,
} from '../data/etl.js';
import { parquetDatasetDir, resolveSourceDir } from '../data/load.js';
import { readRatingsParquet } from '../data/parquet.js';
import { readMoviesParquet, readUsersParquet } from '../data/parquet-tables.js';
import type { DatasetTables } from '../data/schema.js';
import { createGcsStore, parseGsUri, type GcsStoreOptions } from './gcs.js';
import { joinKey } from './keys.js';
import { syncDown, syncUp } from './sync.js';
import type { ArtifactStore } from './types.js';

/**
 * Data locations that may be `gs://bucket/prefix` as well as paths: the raw MovieLens files (MOVIELENS_DIR,
 * `--from`), the data dir the downloader and the ETL write to (RECSYS_DATA_DIR: `raw/<name>`,
 * `parquet/<name>`). The readers, the ETL and Parquet work on local files, so a gs:// location is mirrored
 * in a local cache folder (RECSYS_CACHE_DIR) with syncDown / syncUp (src/storage/sync.ts): objects are
 * fetched once per generation and MD5, and uploads are MD5- and CRC32C-checked, the folder's marker
 * (`etl.json`, `recsys-complete.json`) removed first and written last. Paths work exactly as before.
 */

/** Where a command's data lives: paths or gs:// URIs, and the local cache for gs:// copies. */
export interface DataLocation {
  /** RECSYS_DATA_DIR: a path or gs://bucket/prefix (downloads under `raw/<name>`, Parquet under `parquet/<name>`). */
  dataDir: string;
  /** MOVIELENS_DIR / --from: extracted release files, a path or gs://bucket/prefix. */
  from?: string;
  /** RECSYS_CACHE_DIR: local folder for copies of gs:// data (`<cacheDir>/gcs/<bucket>/<prefix>/...`). */
  cacheDir: string;
  /** For gs:// locations: another endpoint (STORAGE_EMULATOR_HOST), retries. */
  gcs?: GcsStoreOptions;
  onProgress?: ProgressListener;
  logger?: Logger;
  /** Download from another base URL than GroupLens (mirrors, tests). */
  baseUrl?: string;
}

/** The name of the completion marker as stored on GCS (store keys cannot start with `.`). */
export const STORED_COMPLETE_MARKER = 'recsys-complete.json';

/** Whether a location is a `gs://` URI. */
export function isGsUri(location: string): boolean {
  return /^gs:\/\//i.test(location.trim());
}

const localPathOf = (location: string): string =>
  /^file:\/\//i.test(location) ? fileURLToPath(location) : location;

/**
 * The local folder mirroring a gs:// location: `<cacheDir>/gcs/<bucket>/<prefix>`, the same on every machine
 * with the same cache dir (so `etl.json`'s recorded input paths stay valid).
 * @example gcsMirrorDir('/tmp/recsys-cache', 'gs://bkt/data'); // '/tmp/recsys-cache/gcs/bkt/data'
 */
export function gcsMirrorDir(cacheDir: string, uri: string, field?: string): string {
  const { bucket, prefix } = parseGsUri(uri, field);
  return path.resolve(cacheDir, 'gcs', bucket, ...prefix.split('/').filter(Boolean));
}

function openGcs(uri: string, location: DataLocation, field: string): ArtifactStore {
  return createGcsStore(uri, { ...location.gcs, field });
}

/**
 * The local folder holding a release's extracted files, as `resolveSourceDir` finds it, for any location:
 * `from` on gs:// is searched like a path (the URI itself, or its sub-prefix named like the release) and copied
 * into the cache; with a gs:// data dir and no `from`, `raw/<name>` there is copied down when complete, else
 * the release is downloaded into the cache and uploaded there (files first, `recsys-complete.json` last).
 * @example const dir = await resolveSourceDirAt('ml-100k', { dataDir: 'gs://bkt/data', from: 'gs://bkt/movielens', cacheDir: '/tmp/c' });
 */
export async function resolveSourceDirAt(name: DatasetName, location: DataLocation): Promise<string> {
  const entry = CATALOG[name];
  const { from, logger } = location;
  if (from !== undefined && isGsUri(from)) {
    const store = openGcs(from, location, 'MOVIELENS_DIR');
    const candidates = [...new Set([entry.folder, name, ''])];
    for (const prefix of candidates) {
      if (await store.stat(joinKey(prefix, entry.files.movies))) {
        const dir = path.join(
          gcsMirrorDir(location.cacheDir, from, 'MOVIELENS_DIR'),
          ...prefix.split('/').filter(Boolean),
        );
        await syncDown(store, prefix, dir, { ...(logger ? { logger } : {}) });
        return dir;
      }
    }
    const looked = candidates.map((p) => `${store.uri}/${joinKey(p, entry.files.movies)}`);
    throw new NotFoundError(`${name} source files`, `(looked for ${looked.join(', ')})`);
  }
  if (from !== undefined || !isGsUri(location.dataDir)) {
    return resolveSourceDir(name, {
      dataDir: localPathOf(location.dataDir),
      ...(from !== undefined ? { from: localPathOf(from) } : {}),
      ...(location.baseUrl !== undefined ? { baseUrl: location.baseUrl } : {}),
      ...(location.onProgress ? { onProgress: location.onProgress } : {}),
      ...(logger ? { logger } : {}),
    });
  }
  return downloadDatasetAt(name, location, {});
}

/**
 * `downloadDataset` for any data dir: a path as before; on gs:// the release is kept under `raw/<name>` there,
 * downloaded (into the cache) and uploaded only when that copy is missing or `force` is set. Returns the local
 * folder of the extracted files.
 * @example await downloadDatasetAt('ml-100k', { dataDir: 'gs://bkt/data', cacheDir: '/tmp/c' }, { force: false });
 */
export async function downloadDatasetAt(
  name: DatasetName,
  location: DataLocation,
  options: Pick<DownloadDatasetOptions, 'force' | 'signal' | 'expected' | 'retries' | 'backoffMs'>,
): Promise<string> {
  const common = {
    ...(options.expected !== undefined ? { expected: options.expected } : {}),
    ...(options.retries !== undefined ? { retries: options.retries } : {}),
    ...(options.backoffMs !== undefined ? { backoffMs: options.backoffMs } : {}),
    ...(location.baseUrl !== undefined ? { baseUrl: location.baseUrl } : {}),
    ...(location.onProgress ? { onProgress: location.onProgress } : {}),
    ...(location.logger ? { logger: location.logger } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.force ? { force: true } : {}),
  };
  if (!isGsUri(location.dataDir))
    return downloadDataset(name, { dataDir: localPathOf(location.dataDir), ...common });
  const store = openGcs(location.dataDir, location, 'RECSYS_DATA_DIR');
  const mirror = gcsMirrorDir(location.cacheDir, location.dataDir, 'RECSYS_DATA_DIR');
  const key = `raw/${name}`;
  const local = rawDatasetDir(mirror, name);
  const logger = location.logger ? { logger: location.logger } : {};
  if (!options.force && (await store.stat(joinKey(key, STORED_COMPLETE_MARKER)))) {
    await syncDown(store, key, local, logger);
    // The downloader's own marker, so a later local download into the mirror sees the release complete.
    await fs.copyFile(path.join(local, STORED_COMPLETE_MARKER), path.join(local, COMPLETE_MARKER));
    return local;
  }
  const dir = await downloadDataset(name, { dataDir: mirror, ...common });
  await fs.copyFile(path.join(dir, COMPLETE_MARKER), path.join(dir, STORED_COMPLETE_MARKER));
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const files = entries
    .filter(
      (e) =>
        e.isFile() &&
        !e.name.startsWith('.') &&
        e.name !== STORED_COMPLETE_MARKER &&
        !e.name.endsWith('.part'),
    )
    .map((e) => e.name)
    .sort();
  await syncUp(dir, [...files, STORED_COMPLETE_MARKER], store, key, {
    marker: STORED_COMPLETE_MARKER,
    ...logger,
  });
  return dir;
}

/** The ETL's result, plus where the Parquet lives (`dir` on disk, or the gs:// URI of the folder). */
export interface EtlAtResult extends EtlResult {
  location: string;
}

/**
 * `runEtl` for any locations. With a gs:// data dir the ETL runs on the local mirror of `parquet/<name>`
 * (copied down first, so unchanged inputs are still a no-op) and what it wrote is uploaded: only files whose
 * MD5 differs, `etl.json` deleted first and uploaded last, stale files (a `users.parquet` the release no
 * longer has) removed.
 * @example const { location } = await runEtlAt('ml-100k', { dataDir: 'gs://bkt/data', from: 'gs://bkt/movielens', cacheDir: '/tmp/c' });
 */
export async function runEtlAt(
  name: DatasetName,
  location: DataLocation,
  options: Omit<EtlOptions, 'logger' | 'onProgress'> = {},
): Promise<EtlAtResult> {
  const sourceDir = await resolveSourceDirAt(name, location);
  const etlOptions: EtlOptions = {
    ...options,
    ...(location.logger ? { logger: location.logger } : {}),
    ...(location.onProgress ? { onProgress: location.onProgress } : {}),
  };
  if (!isGsUri(location.dataDir)) {
    const result = await runEtl(
      CATALOG[name],
      sourceDir,
      parquetDatasetDir(localPathOf(location.dataDir), name),
      etlOptions,
    );
    return { ...result, location: result.dir };
  }
  const store = openGcs(location.dataDir, location, 'RECSYS_DATA_DIR');
  const key = `parquet/${name}`;
  const local = parquetDatasetDir(gcsMirrorDir(location.cacheDir, location.dataDir, 'RECSYS_DATA_DIR'), name);
  const logger = location.logger ? { logger: location.logger } : {};
  if (await store.stat(joinKey(key, ETL_MANIFEST))) await syncDown(store, key, local, logger);
  const result = await runEtl(CATALOG[name], sourceDir, local, etlOptions);
  const files = [
    OUTPUT_FILES.ratings,
    OUTPUT_FILES.movies,
    ...(result.users ? [OUTPUT_FILES.users] : []),
    ETL_MANIFEST,
  ];
  await syncUp(local, files, store, key, { marker: ETL_MANIFEST, prune: true, ...logger });
  return { ...result, location: `${store.uri}/${key}` };
}

/**
 * `loadDatasetTables` for any locations. With a gs:// data dir and no `from`, the Parquet the ETL left under
 * `parquet/<name>` there is used as it is (copied into the cache once per generation; its row counts are
 * checked against `etl.json`): a training job needs no raw files. Otherwise the ETL runs first (runEtlAt).
 * @example const tables = await loadDatasetTablesAt('ml-100k', { dataDir: 'gs://bkt/data', cacheDir: '/tmp/c' });
 */
export async function loadDatasetTablesAt(
  name: DatasetName,
  location: DataLocation,
  options: Pick<EtlOptions, 'skipBadLines'> = {},
): Promise<DatasetTables> {
  if (location.from === undefined && isGsUri(location.dataDir)) {
    const store = openGcs(location.dataDir, location, 'RECSYS_DATA_DIR');
    const key = `parquet/${name}`;
    if (await store.stat(joinKey(key, ETL_MANIFEST))) {
      const local = parquetDatasetDir(
        gcsMirrorDir(location.cacheDir, location.dataDir, 'RECSYS_DATA_DIR'),
        name,
      );
      await syncDown(store, key, local, location.logger ? { logger: location.logger } : {});
      const manifest = await readEtlManifest(local);
      if (manifest?.dataset === name) {
        location.logger?.info(`${name}: Parquet from ${store.uri}/${key}`, { cache: local });
        const tables = await readTables(local, manifest.outputs.users !== null);
        const counts = [
          [OUTPUT_FILES.ratings, tables.ratings.length, manifest.outputs.ratings.rows],
          [OUTPUT_FILES.movies, tables.movies.length, manifest.outputs.movies.rows],
        ] as const;
        for (const [file, got, recorded] of counts) {
          if (got !== recorded) {
            throw new DataFormatError(
              `${store.uri}/${key}/${file}`,
              0,
              `holds ${got} rows, etl.json says ${recorded}`,
            );
          }
        }
        return tables;
      }
    }
  }
  const result = await runEtlAt(name, location, options);
  return readTables(result.dir, result.users !== null);
}

async function readTables(dir: string, withUsers: boolean): Promise<DatasetTables> {
  const [ratings, movies, users] = await Promise.all([
    readRatingsParquet(path.join(dir, OUTPUT_FILES.ratings)),
    readMoviesParquet(path.join(dir, OUTPUT_FILES.movies)),
    withUsers ? readUsersParquet(path.join(dir, OUTPUT_FILES.users)) : Promise.resolve(null),
  ]);
  return { ratings, movies, users };
}
