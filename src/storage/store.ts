import { fileURLToPath } from 'node:url';
import { ValidationError } from '../core/errors.js';
import { createGcsStore, parseGsUri, type GcsStoreOptions } from './gcs.js';
import { createLocalStore } from './local.js';
import type { ArtifactStore } from './types.js';

/** Options of the stores a URI may name; each applies only to its own scheme. */
export interface StoreOptions {
  /** For `gs://`: another endpoint (config `gcsEndpoint`, STORAGE_EMULATOR_HOST), retries. */
  gcs?: GcsStoreOptions;
}

/**
 * Opens the artifact store a URI names: a filesystem path or `file://` URL gives the local store,
 * `gs://bucket/prefix` the Google Cloud Storage store; both implement the same ArtifactStore interface.
 * @example const store = createStore(config.artifactsUri, { gcs: { endpoint: config.gcsEndpoint } });
 */
export function createStore(uri: string, options: StoreOptions = {}): ArtifactStore {
  if (uri.trim() === '') throw new ValidationError('artifactsUri', 'is empty');
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(uri)?.[1]?.toLowerCase();
  if (scheme === undefined) return createLocalStore(uri);
  if (scheme === 'file') return createLocalStore(fileURLToPath(uri));
  if (scheme === 'gs') return createGcsStore(uri, options.gcs ?? {});
  throw new ValidationError('artifactsUri', `unknown scheme '${scheme}://' in ${uri} (use a path or gs://)`);
}

/**
 * What is wrong with a location setting (a path, `file://` URL or `gs://bucket/prefix`), or null when it is
 * usable: config.ts reports it under the variable's name before anything runs.
 * @example locationProblem('gs://'); // "'gs://' is not gs://<bucket>[/<prefix>] ..."
 */
export function locationProblem(uri: string): string | null {
  if (uri.trim() === '') return 'is empty';
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(uri)?.[1]?.toLowerCase();
  if (scheme === undefined || scheme === 'file') return null;
  if (scheme !== 'gs')
    return `unknown scheme '${scheme}://' in ${uri} (use a path or gs://<bucket>[/<prefix>])`;
  try {
    parseGsUri(uri);
    return null;
  } catch {
    return `'${uri}' is not gs://<bucket>[/<prefix>] (bucket: 3-222 lowercase letters, digits, '.', '_', '-'; prefix: segments of letters, digits, '.', '_', '-', none starting with '.')`;
  }
}
