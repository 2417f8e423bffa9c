import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AppError, ArtifactIntegrityError } from '../core/errors.js';
import { type Logger, silentLogger } from '../core/log.js';
import { joinKey, normalizeKey } from './keys.js';
import type { ArtifactStore, StoredFileInfo } from './types.js';

/**
 * Local copies of store folders, for data that tools read as files (raw MovieLens, Parquet): `syncDown` copies
 * the files directly under a store prefix into a local folder, keyed by each object's version (GCS generation)
 * and MD5, so an unchanged object is never fetched twice; `syncUp` uploads the files of a local folder whose
 * MD5 differs from the stored one, with a completion marker removed first and written last.
 */

/** The record of what a local folder holds from the store: `<dir>/.recsys-sync.json` (never uploaded). */
export const SYNC_RECORD = '.recsys-sync.json';

type SyncRecord = Record<string, { version: string; md5: string | null; size: number }>;

export interface SyncResult {
  /** Files fetched or uploaded. */
  copied: string[];
  /** Files already the same on both sides. */
  kept: string[];
  /** Files removed from the destination (gone from the source). */
  removed: string[];
}

/**
 * Copies every file directly under `prefix` in `store` into `dir` (sub-folders are not copied). A file whose
 * version and MD5 match what the last sync recorded, and whose local size still matches, is kept; others are
 * downloaded (the store checks its hash in transit), checked against the stored MD5 and size, written
 * atomically and given the object's update time as mtime (so `etl.json`'s size+mtime check agrees across
 * machines). Local files an earlier sync copied whose object is gone are removed.
 * @example await syncDown(createStore('gs://bkt/data'), 'parquet/ml-1m', '/tmp/recsys-cache/gcs/bkt/data/parquet/ml-1m');
 */
export async function syncDown(
  store: ArtifactStore,
  prefix: string,
  dir: string,
  options: { logger?: Logger } = {},
): Promise<SyncResult> {
  const logger = options.logger ?? silentLogger;
  const record = await readRecord(dir);
  const result: SyncResult = { copied: [], kept: [], removed: [] };
  await fs.mkdir(dir, { recursive: true });
  const present = new Set<string>();
  try {
    for (const name of await store.list(prefix)) {
      const key = keyOf(prefix, name);
      if (key === null) continue;
      const info = await store.stat(key);
      if (!info) continue; // a sub-folder
      present.add(name);
      const file = path.join(dir, name);
      const had = record[name];
      const local = await fs.stat(file).catch(() => null);
      if (had && had.version === info.version && had.md5 === info.md5 && local?.size === info.size) {
        result.kept.push(name);
        continue;
      }
      const bytes = await store.read(key);
      checkCopy(`${store.uri}/${key}`, bytes, info);
      await writeAtomic(file, bytes);
      await fs.utimes(file, info.updated, info.updated);
      record[name] = { version: info.version, md5: info.md5, size: info.size };
      result.copied.push(name);
    }
    for (const name of Object.keys(record)) {
      if (present.has(name)) continue;
      await fs.rm(path.join(dir, name), { force: true });
      delete record[name];
      result.removed.push(name);
    }
  } finally {
    // What was copied before a failure is recorded, so the next run does not fetch it again.
    await writeRecord(dir, record);
  }
  if (result.copied.length + result.removed.length > 0) {
    logger.info('copied from the store', { from: `${store.uri}/${prefix}`, to: dir, ...counts(result) });
  }
  return result;
}

/**
 * Uploads `files` (names in `dir`) under `prefix` in `store`, skipping those whose stored MD5 equals the local
 * one. With a `marker` (one of `files`, e.g. `etl.json`): when anything changes, the stored marker is deleted
 * before the first upload and uploaded last, so a reader that trusts the marker never sees a half-written
 * folder. With `prune`, other files directly under `prefix` are deleted (after the marker is gone). Every
 * upload carries its MD5 and CRC32C (GCS refuses damaged bytes) and is checked again by `stat` afterwards.
 * @example await syncUp('/tmp/out', ['ratings.parquet', 'etl.json'], store, 'parquet/ml-1m', { marker: 'etl.json' });
 */
export async function syncUp(
  dir: string,
  files: readonly string[],
  store: ArtifactStore,
  prefix: string,
  options: { marker?: string; prune?: boolean; logger?: Logger } = {},
): Promise<SyncResult> {
  const logger = options.logger ?? silentLogger;
  const result: SyncResult = { copied: [], kept: [], removed: [] };
  const changed: { name: string; md5: string }[] = [];
  for (const name of files) {
    const key = keyOf(prefix, name);
    if (key === null) throw new AppError('VALIDATION', `cannot store '${name}' (not a valid store key)`);
    const md5 = await md5File(path.join(dir, name));
    const stored = await store.stat(key);
    if (stored?.md5 === md5) result.kept.push(name);
    else changed.push({ name, md5 });
  }
  const storedNames = options.prune ? await store.list(prefix) : [];
  const extra = storedNames.filter((n) => !files.includes(n) && keyOf(prefix, n) !== null);
  const prunable: string[] = [];
  for (const name of extra) if (await store.stat(keyOf(prefix, name) as string)) prunable.push(name);
  if (changed.length === 0 && prunable.length === 0) return result;

  const marker = options.marker;
  if (marker !== undefined) await store.delete(joinKey(prefix, marker));
  for (const name of prunable) {
    await store.delete(joinKey(prefix, name));
    result.removed.push(name);
  }
  const record = await readRecord(dir);
  const ordered = [
    ...changed.filter((c) => c.name !== marker),
    ...changed.filter((c) => c.name === marker),
    ...(marker !== undefined && !changed.some((c) => c.name === marker)
      ? [{ name: marker, md5: await md5File(path.join(dir, marker)) }]
      : []),
  ];
  for (const { name, md5 } of ordered) {
    const key = joinKey(prefix, name);
    const bytes = await fs.readFile(path.join(dir, name));
    await store.write(key, bytes);
    const stored = await store.stat(key);
    if (!stored || (stored.md5 !== null && stored.md5 !== md5) || stored.size !== bytes.length) {
      throw new ArtifactIntegrityError(
        `${store.uri}/${key}`,
        'the stored object does not match the file uploaded',
      );
    }
    // The local copy is what the store now holds: the next syncDown keeps it.
    record[name] = { version: stored.version, md5: stored.md5, size: stored.size };
    if (!result.kept.includes(name)) result.copied.push(name);
  }
  await writeRecord(dir, record);
  logger.info('copied to the store', { from: dir, to: `${store.uri}/${prefix}`, ...counts(result) });
  return result;
}

/** MD5 of a file, base64 (as GCS reports `md5Hash`), read as a stream. */
export async function md5File(file: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('base64');
}

function checkCopy(where: string, bytes: Uint8Array, info: StoredFileInfo): void {
  if (bytes.length !== info.size) {
    throw new ArtifactIntegrityError(
      where,
      `read ${bytes.length} bytes, the store lists ${info.size} (changed while copying? run again)`,
    );
  }
  if (info.md5 !== null && createHash('md5').update(bytes).digest('base64') !== info.md5) {
    throw new ArtifactIntegrityError(
      where,
      'MD5 of the bytes read differs from the stored one (changed while copying? run again)',
    );
  }
}

function keyOf(prefix: string, name: string): string | null {
  try {
    return normalizeKey(joinKey(prefix, name));
  } catch {
    return null;
  }
}

async function readRecord(dir: string): Promise<SyncRecord> {
  try {
    return JSON.parse(await fs.readFile(path.join(dir, SYNC_RECORD), 'utf8')) as SyncRecord;
  } catch {
    return {};
  }
}

async function writeRecord(dir: string, record: SyncRecord): Promise<void> {
  await writeAtomic(path.join(dir, SYNC_RECORD), Buffer.from(`${JSON.stringify(record, null, 2)}\n`));
}

async function writeAtomic(file: string, bytes: Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.part`;
  try {
    await fs.writeFile(temp, bytes);
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
}

function counts(result: SyncResult): Record<string, number> {
  return { copied: result.copied.length, kept: result.kept.length, removed: result.removed.length };
}
