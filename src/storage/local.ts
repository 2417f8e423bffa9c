import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AppError, NotFoundError, ValidationError } from '../core/errors.js';
import { joinKey, normalizeKey } from './keys.js';
import type { ArtifactStore, StagedDirectory } from './types.js';

/**
 * An ArtifactStore on the local filesystem under `root`. Every write goes to a temp file that is fsynced and
 * renamed into place; a staged directory is a hidden sibling folder (`.staging-<name>-<hex>`) renamed onto its
 * final name on publish, which is atomic within one filesystem.
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
    async readPointer(key) {
      try {
        return (await fs.readFile(pathOf(key), 'utf8')).trim();
      } catch (error) {
        if (isCode(error, 'ENOENT')) return null;
        throw error;
      }
    },
    writePointer: async (key, value) => writeFileDurably(pathOf(key), new TextEncoder().encode(`${value}\n`)),
    localPath: (key) => pathOf(key),
  };
  return store;
}

async function stageLocal(pathOf: (key: string) => string, prefix: string): Promise<StagedDirectory> {
  if (prefix === '') throw new ValidationError('prefix', 'cannot stage the store root');
  const target = pathOf(prefix);
  const parent = path.dirname(target);
  await fs.mkdir(parent, { recursive: true });
  // A sibling of the target, so the final rename stays on one filesystem and is atomic.
  const staging = await fs.mkdtemp(path.join(parent, `.staging-${path.basename(target)}-`));
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
      await syncDirectory(parent);
      done = true;
    },
    async abort() {
      done = true;
      await fs.rm(staging, { recursive: true, force: true });
    },
  };
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
