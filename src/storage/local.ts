import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AppError, NotFoundError, ValidationError } from '../core/errors.js';
import { joinKey, normalizeKey } from './keys.js';
import type { ArtifactStore, StagedDirectory } from './types.js';

/**
 * An ArtifactStore on the local filesystem under `root`. Every write goes to a temp file that is fsynced and
 * renamed into place; a staged directory is a hidden sibling folder (`.staging-<name>-<pid>-<host>-<random>`)
 * renamed onto its final name on publish, which is atomic within one filesystem. Staging folders of processes
 * that are gone (killed mid-save) are removed by the next `stage` in their folder and by
 * `removeStaleStaging` (see isStagingStale).
 * @example const store = createLocalStore('./artifacts'); await store.write('als/current', bytes);
 */
export function createLocalStore(root: string): ArtifactStore {
  const base = path.resolve(root);
  const pathOf = (key: string): string => {
    const k = normalizeKey(key);
    return k === '' ? base : path.join(base, ...k.split('/'));
  };

  const store: ArtifactStore = {
    uri: base,
    async read(key) {
      try {
        return new Uint8Array(await fs.readFile(pathOf(key)));
      } catch (error) {
        if (isCode(error, 'ENOENT') || isCode(error, 'EISDIR')) throw new NotFoundError('artifact file', key);
        throw error;
      }
    },
    write: async (key, bytes) => writeFileDurably(pathOf(key), bytes),
    async exists(key) {
      try {
        await fs.lstat(pathOf(key));
        return true;
      } catch (error) {
        if (isCode(error, 'ENOENT')) return false;
        throw error;
      }
    },
    async list(prefix) {
      try {
        const names = await fs.readdir(pathOf(prefix));
        return names.filter((n) => !n.startsWith('.')).sort();
      } catch (error) {
        if (isCode(error, 'ENOENT') || isCode(error, 'ENOTDIR')) return [];
        throw error;
      }
    },
    async delete(key) {
      if (normalizeKey(key) === '') throw new ValidationError('key', 'refusing to delete the store root');
      await fs.rm(pathOf(key), { recursive: true, force: true });
    },
    stage: async (prefix) => stageLocal(pathOf, normalizeKey(prefix)),
    removeStaleStaging: async (prefix) => removeStaleStaging(pathOf(prefix)),
    async readPointer(key) {
      try {
        return (await fs.readFile(pathOf(key), 'utf8')).trim();
      } catch (error) {
        if (isCode(error, 'ENOENT')) return null;
        throw error;
      }
    },
    writePointer: async (key, value) => writeFileDurably(pathOf(key), new TextEncoder().encode(`${value}\n`)),
    async stat(key) {
      const info = await fs.stat(pathOf(key)).catch(() => null);
      if (!info?.isFile()) return null;
      return { size: info.size, md5: null, version: `${info.mtimeMs}:${info.size}`, updated: info.mtime };
    },
    localPath: (key) => pathOf(key),
  };
  return store;
}

async function stageLocal(pathOf: (key: string) => string, prefix: string): Promise<StagedDirectory> {
  if (prefix === '') throw new ValidationError('prefix', 'cannot stage the store root');
  const target = pathOf(prefix);
  const parent = path.dirname(target);
  await fs.mkdir(parent, { recursive: true });
  await removeStaleStaging(parent);
  // A sibling of the target, so the final rename stays on one filesystem and is atomic. The name says which
  // process owns it, so that what a killed save leaves behind can be told from a save still running.
  const staging = await fs.mkdtemp(
    path.join(parent, `${STAGING_PREFIX}${path.basename(target)}-${process.pid}-${HOST_TAG}-`),
  );
  ownStaging.add(staging);
  let done = false;
  return {
    prefix,
    async write(name, bytes) {
      if (done) throw new AppError('INTERNAL', `staged directory ${prefix} is already closed`);
      const key = normalizeKey(name, 'name');
      await writeFileDurably(path.join(staging, ...key.split('/')), bytes, false);
    },
    async publish() {
      if (done) throw new AppError('INTERNAL', `staged directory ${prefix} is already closed`);
      // rename(2) would silently replace an empty directory and fail on a full one; refuse both clearly.
      if (await pathExists(target)) {
        throw new AppError('CONFLICT', `${joinKey(prefix)} already exists in the store`, { status: 409 });
      }
      await syncDirectory(staging);
      await fs.rename(staging, target);
      ownStaging.delete(staging);
      await syncDirectory(parent);
      done = true;
    },
    async abort() {
      done = true;
      await fs.rm(staging, { recursive: true, force: true });
      ownStaging.delete(staging);
    },
  };
}

const STAGING_PREFIX = '.staging-';

/** This host, as staging folder names carry it (a short hash: hostnames may hold `-` and `.`). */
const HOST_TAG = createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);

/** `.staging-<name>-<pid>-<host tag>-<6 random characters from mkdtemp>` */
const STAGING_NAME = /^\.staging-.+-(\d+)-([0-9a-f]{8})-[A-Za-z0-9]{6}$/;

/**
 * A staging folder whose owner cannot be checked (written on another host sharing the store, or by a
 * version of recsys that did not record its pid) counts as stale once untouched this long: far longer than
 * any save, which writes a few files in seconds.
 */
export const UNOWNED_STAGING_STALE_MS = 60 * 60 * 1000;

/** Staging folders this process has open (a pid can be reused: a folder named with ours may not be ours). */
const ownStaging = new Set<string>();

/**
 * Whether a staging folder was left by a process that is gone. Its name records the owner's pid and host: on
 * this host, stale exactly when that process no longer runs (a folder named with this process's pid that it
 * does not have open is a dead namesake's). Otherwise stale once untouched for UNOWNED_STAGING_STALE_MS.
 * A folder of a live process is never stale.
 * @example isStagingStale('/srv/artifacts/als/.staging-v1-4242-1a2b3c4d-Xy12Ab', Date.now() - 5_000) // true once 4242 has exited
 */
export function isStagingStale(dir: string, modifiedMs: number, now = Date.now()): boolean {
  const match = STAGING_NAME.exec(path.basename(dir));
  if (match === null || match[2] !== HOST_TAG) return now - modifiedMs > UNOWNED_STAGING_STALE_MS;
  const pid = Number(match[1]);
  if (pid === process.pid) return !ownStaging.has(dir);
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return isCode(error, 'ESRCH'); // EPERM: alive, under another user
  }
}

/**
 * Removes the stale staging folders directly under `dir` (see isStagingStale); returns their names. An
 * absent folder has none; a folder that cannot be removed (read-only store) is left and not reported.
 * @example await removeStaleStaging('/srv/artifacts/als') // ['.staging-20261125T101500123Z-1a2b3c4d-4242-1a2b3c4d-Xy12Ab']
 */
export async function removeStaleStaging(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isCode(error, 'ENOENT') || isCode(error, 'ENOTDIR')) return [];
    throw error;
  }
  const removed: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || !entry.name.startsWith(STAGING_PREFIX)) continue;
    const staging = path.join(dir, entry.name);
    const stat = await fs.stat(staging).catch(() => null);
    if (stat === null || !isStagingStale(staging, stat.mtimeMs)) continue;
    try {
      await fs.rm(staging, { recursive: true, force: true });
      removed.push(entry.name);
    } catch {
      // Not ours to remove (permissions, read-only mount): leave it; nothing reads it.
    }
  }
  return removed;
}

/**
 * Writes a file so that it is either absent/old or complete: temp file in the same folder, fsync, rename.
 * `atomic` false writes in place (inside a staging folder nobody reads yet) but still fsyncs.
 */
async function writeFileDurably(file: string, bytes: Uint8Array, atomic = true): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = atomic
    ? path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`)
    : file;
  try {
    const handle = await fs.open(tmp, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (atomic) await fs.rename(tmp, file);
  } catch (error) {
    if (atomic) await fs.rm(tmp, { force: true });
    throw error;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function pathExists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch (error) {
    if (isCode(error, 'ENOENT')) return false;
    throw error;
  }
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}
