import { fileURLToPath } from 'node:url';
import { NotSupportedError, ValidationError } from '../core/errors.js';
import { createLocalStore } from './local.js';
import type { ArtifactStore } from './types.js';

/**
 * Opens the artifact store a URI names: a filesystem path or `file://` URL gives the local store;
 * `gs://bucket/prefix` is recognised but refused with NotSupportedError until the Google Cloud Storage store
 * lands with the deployment work (it will implement the same ArtifactStore interface).
 * @example const store = createStore(config.artifactsUri); // './artifacts' or 'gs://recsys-artifacts/prod'
 */
export function createStore(uri: string): ArtifactStore {
  if (uri.trim() === '') throw new ValidationError('artifactsUri', 'is empty');
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(uri)?.[1]?.toLowerCase();
  if (scheme === undefined) return createLocalStore(uri);
  if (scheme === 'file') return createLocalStore(fileURLToPath(uri));
  if (scheme === 'gs') {
    throw new NotSupportedError(
      'the artifact store',
      `${uri} yet: Google Cloud Storage comes with the deployment work; use a local path for now`,
    );
  }
  throw new ValidationError('artifactsUri', `unknown scheme '${scheme}://' in ${uri} (use a path or gs://)`);
}
