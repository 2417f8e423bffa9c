import { createHash } from 'node:crypto';
import { CRC32C, Storage, type File } from '@google-cloud/storage';
import { AppError, ArtifactIntegrityError, NotFoundError, ValidationError } from '../core/errors.js';
import { joinKey, normalizeKey } from './keys.js';
import type { ArtifactStore, StagedDirectory } from './types.js';

/** How a GCS store reaches the service. Unset fields mean production: storage.googleapis.com with ADC. */
export interface GcsStoreOptions {
  /** Another JSON API endpoint (a fake in tests, STORAGE_EMULATOR_HOST); requests then carry no credentials. */
  endpoint?: string | undefined;
  projectId?: string | undefined;
  /** Retries of one request after a 5xx, 429 or a cut connection (default 5). */
  maxRetries?: number;
  /** Longest pause between retries in seconds (default 32; at least 1, the client's shortest pause). */
  maxRetryDelaySeconds?: number;
  /** Files of this many bytes or more go up as resumable uploads (default 16 MiB); smaller ones in one request. */
  resumableThreshold?: number;
  /** The setting a malformed URI is reported under (default `artifactsUri`; data locations name theirs). */
  field?: string;
}

/**
 * `gs://bucket/some/prefix` split into its bucket and object-name prefix (without a trailing `/`).
 * @example parseGsUri('gs://recsys-artifacts/prod') // { bucket: 'recsys-artifacts', prefix: 'prod' }
 */
export function parseGsUri(uri: string, field = 'artifactsUri'): { bucket: string; prefix: string } {
  const m = /^gs:\/\/([a-z0-9][a-z0-9._-]{1,220}[a-z0-9])(\/.*)?$/i.exec(uri.trim());
  if (!m) throw new ValidationError(field, `'${uri}' is not gs://<bucket>[/<prefix>]`);
  return { bucket: m[1] as string, prefix: normalizeKey((m[2] ?? '').replace(/^\/+/, ''), field) };
}

/**
 * An ArtifactStore on Google Cloud Storage through `@google-cloud/storage` (credentials: Application Default
 * Credentials, i.e. Workload Identity on GKE; no key files). Every upload carries its md5 and crc32c, so GCS
 * refuses damaged bytes, and the client checks the stored object's hash too; every download is checked against
 * the object's hashes. A damaged transfer is tried once more, then refused with ArtifactIntegrityError.
 *
 * Staged files go straight under their final prefix with `ifGenerationMatch: 0` (never overwrite a version);
 * a version counts once its manifest, written last, exists. Pointers are compare-and-swap: `writePointer`
 * succeeds only while the pointer still has the generation this store last read (or wrote), so of two
 * trainers that read the same `current` and promote, exactly one wins and the other gets AppError CONFLICT.
 * @example const store = createGcsStore('gs://recsys-artifacts/prod'); await store.readPointer('als/current');
 */
export function createGcsStore(uri: string, options: GcsStoreOptions = {}): ArtifactStore {
  const { bucket: bucketName, prefix: base } = parseGsUri(uri, options.field);
  const storage = new Storage({
    ...(options.endpoint ? { apiEndpoint: options.endpoint } : {}),
    ...(options.projectId ? { projectId: options.projectId } : {}),
    retryOptions: {
      autoRetry: true,
      maxRetries: options.maxRetries ?? 5,
      maxRetryDelay: Math.max(1, options.maxRetryDelaySeconds ?? 32),
      retryDelayMultiplier: 2,
      totalTimeout: 600,
    },
  });
  const bucket = storage.bucket(bucketName);
  const resumableThreshold = options.resumableThreshold ?? 16 * 1024 * 1024;
  const nameOf = (key: string): string => joinKey(base, normalizeKey(key));
  const location = `gs://${bucketName}${base ? `/${base}` : ''}`;
  const where = (name: string): string => `gs://${bucketName}/${name}`;
  /** The generation of each pointer as this store last saw it (0: absent). */
  const pointerGenerations = new Map<string, number>();
  /** The value of each pointer at the generation last downloaded: a poll that finds it unchanged costs one request. */
  const pointerValues = new Map<string, { generation: number; value: string }>();

  /** Uploads with hashes; `ifGenerationMatch` makes the upload safe to retry and guards against overwrites. */
  const upload = async (name: string, bytes: Uint8Array, ifGenerationMatch: number): Promise<number> => {
    const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const md5Hash = createHash('md5').update(data).digest('base64');
    const crc32c = crc32cOf(data);
    for (let attempt = 1; ; attempt += 1) {
      const file = bucket.file(name);
      try {
        await file.save(data, {
          resumable: data.length >= resumableThreshold,
          validation: 'crc32c',
          metadata: { contentType: contentTypeOf(name), md5Hash, crc32c },
          preconditionOpts: { ifGenerationMatch },
        });
        const generation = Number(file.metadata.generation);
        return Number.isFinite(generation) && generation > 0 ? generation : await generationOf(file);
      } catch (error) {
        if (statusOf(error) === 412) {
          // A retried request whose first try did land, or someone else's object: only the first is ours.
          const [meta] = await bucket
            .file(name)
            .getMetadata()
            .catch(() => [undefined]);
          if (meta?.md5Hash === md5Hash) return Number(meta.generation);
          throw new AppError('CONFLICT', `${where(name)} was changed by someone else`, {
            status: 409,
            cause: error,
          });
        }
        if (isHashMismatch(error) && attempt < 2) continue;
        if (isHashMismatch(error)) {
          throw new ArtifactIntegrityError(`${where(name)}`, `upload damaged twice: ${messageOf(error)}`);
        }
        throw wrap(error, `upload of ${where(name)}`);
      }
    }
  };

  const download = async (name: string, generation?: number): Promise<Buffer> => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const file = bucket.file(name, generation !== undefined ? { generation } : {});
        const [bytes] = await file.download({ validation: 'crc32c' });
        return bytes;
      } catch (error) {
        if (statusOf(error) === 404) throw new NotFoundError('artifact file', `${where(name)}`);
        if (isHashMismatch(error) && attempt < 2) continue;
        if (isHashMismatch(error)) {
          throw new ArtifactIntegrityError(`${where(name)}`, `download damaged twice: ${messageOf(error)}`);
        }
        throw wrap(error, `download of ${where(name)}`);
      }
    }
  };

  const generationOf = async (file: File): Promise<number> => {
    try {
      const [meta] = await file.getMetadata();
      return Number(meta.generation);
    } catch (error) {
      if (statusOf(error) === 404) return 0;
      throw wrap(error, `metadata of ${where(file.name)}`);
    }
  };

  /** Object names under `name/` (every level), or the first one only. */
  const namesUnder = async (name: string, first = false): Promise<string[]> => {
    const [files] = await bucket.getFiles({
      prefix: name === '' ? '' : `${name}/`,
      ...(first ? { maxResults: 1, autoPaginate: false } : {}),
    });
    return files.map((f) => f.name);
  };

  const store: ArtifactStore = {
    uri: location,
    read: (key) => download(nameOf(key)),
    async write(key, bytes) {
      const name = nameOf(key);
      await upload(name, bytes, await generationOf(bucket.file(name)));
    },
    async exists(key) {
      const name = nameOf(key);
      if (name !== '' && (await generationOf(bucket.file(name))) > 0) return true;
      return (await namesUnder(name, true)).length > 0;
    },
    async list(prefix) {
      const name = nameOf(prefix);
      const start = name === '' ? '' : `${name}/`;
      const out = new Set<string>();
      let pageToken: string | undefined;
      do {
        const [files, next, response] = await bucket.getFiles({
          prefix: start,
          delimiter: '/',
          autoPaginate: false,
          maxResults: 1000,
          ...(pageToken ? { pageToken } : {}),
        });
        for (const f of files) out.add(f.name.slice(start.length));
        const prefixes = (response as { prefixes?: string[] } | undefined)?.prefixes ?? [];
        for (const p of prefixes) out.add(p.slice(start.length).replace(/\/$/, ''));
        pageToken = (next as { pageToken?: string } | null | undefined)?.pageToken;
      } while (pageToken);
      return [...out].filter((n) => n !== '' && !n.startsWith('.')).sort();
    },
    async delete(key) {
      const name = nameOf(key);
      if (normalizeKey(key) === '') throw new ValidationError('key', 'refusing to delete the store root');
      const names = [name, ...(await namesUnder(name))];
      for (const n of names) await bucket.file(n).delete({ ignoreNotFound: true });
    },
    async stage(prefix) {
      const key = normalizeKey(prefix);
      if (key === '') throw new ValidationError('prefix', 'cannot stage the store root');
      return stageGcs(key, await store.exists(key));
    },
    async readPointer(key) {
      const name = nameOf(key);
      const generation = await generationOf(bucket.file(name));
      pointerGenerations.set(name, generation);
      if (generation === 0) return null;
      const known = pointerValues.get(name);
      if (known?.generation === generation) return known.value;
      try {
        const value = (await download(name, generation)).toString('utf8').trim();
        pointerValues.set(name, { generation, value });
        return value;
      } catch (error) {
        // Replaced between the metadata and the download: the next poll reads the new one.
        if (error instanceof NotFoundError) return store.readPointer(key);
        throw error;
      }
    },
    async writePointer(key, value) {
      const name = nameOf(key);
      const expected = pointerGenerations.get(name) ?? (await generationOf(bucket.file(name)));
      const bytes = new TextEncoder().encode(`${value}\n`);
      try {
        pointerGenerations.set(name, await upload(name, bytes, expected));
      } catch (error) {
        if (error instanceof AppError && error.code === 'CONFLICT') {
          pointerGenerations.delete(name);
          throw new AppError(
            'CONFLICT',
            `${where(name)} moved since it was read (another promote won); nothing changed`,
            { status: 409, cause: error },
          );
        }
        throw error;
      }
    },
    async stat(key) {
      const name = nameOf(key);
      if (name === '') return null;
      try {
        const [meta] = await bucket.file(name).getMetadata();
        return {
          size: Number(meta.size),
          md5: typeof meta.md5Hash === 'string' ? meta.md5Hash : null,
          version: String(meta.generation),
          updated: new Date(String(meta.updated)),
        };
      } catch (error) {
        if (statusOf(error) === 404) return null;
        throw wrap(error, `metadata of ${where(name)}`);
      }
    },
    localPath: () => null,
  };

  function stageGcs(prefix: string, existed: boolean): StagedDirectory {
    const written: string[] = [];
    let done = false;
    const conflict = (): AppError =>
      new AppError('CONFLICT', `${where(nameOf(prefix))} already exists in the store`, { status: 409 });
    return {
      prefix,
      async write(name, bytes) {
        if (done) throw new AppError('INTERNAL', `staged directory ${prefix} is already closed`);
        if (existed) throw conflict();
        const objectName = nameOf(joinKey(prefix, normalizeKey(name, 'name')));
        await upload(objectName, bytes, 0);
        written.push(objectName);
      },
      async publish() {
        if (done) throw new AppError('INTERNAL', `staged directory ${prefix} is already closed`);
        if (existed) throw conflict();
        // Nothing to move: the files are in place and the last one written (the manifest) completes the version.
        done = true;
      },
      async abort() {
        done = true;
        for (const n of written.splice(0))
          await bucket
            .file(n)
            .delete({ ignoreNotFound: true })
            .catch(() => undefined);
      },
    };
  }

  return store;
}

function contentTypeOf(name: string): string {
  if (name.endsWith('.json')) return 'application/json';
  if (name.endsWith('/current')) return 'text/plain';
  return 'application/octet-stream';
}

function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A damaged transfer: GCS refused an upload's hash (400), or the client found a stored or downloaded one wrong. */
function isHashMismatch(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'CONTENT_DOWNLOAD_MISMATCH' || code === 'FILE_NO_UPLOAD') return true;
  return code === 400 && /hash|crc32c|md5/i.test(messageOf(error));
}

function wrap(error: unknown, what: string): AppError {
  if (error instanceof AppError) return error;
  const status = statusOf(error);
  if (status === 403 || status === 401) {
    return new AppError('UNAUTHORIZED', `${what}: access denied (${messageOf(error)})`, {
      status: 502,
      cause: error,
    });
  }
  return new AppError('INTERNAL', `${what} failed: ${messageOf(error)}`, { status: 502, cause: error });
}

/** GCS's crc32c of bytes: big-endian, base64. */
export function crc32cOf(data: Uint8Array): string {
  const crc = new CRC32C();
  crc.update(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  return crc.toString();
}
