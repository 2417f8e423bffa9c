import { fileURLToPath } from 'node:url';
import { ValidationError } from '../core/errors.js';
import { createGcsStore, type GcsStoreOptions } from './gcs.js';
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
