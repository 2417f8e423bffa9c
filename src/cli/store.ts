import { createStore } from '../storage/store.js';
import type { ArtifactStore } from '../storage/types.js';
import type { Config } from '../config.js';

/**
 * The artifact store the configuration names (a path or `gs://bucket/prefix`), with the GCS endpoint override
 * (`gcsEndpoint`, STORAGE_EMULATOR_HOST) passed down for `gs://` URIs.
 * @example const store = openArtifactStore(config);
 */
export function openArtifactStore(config: Config): ArtifactStore {
  return createStore(config.artifactsUri, { gcs: { endpoint: config.gcsEndpoint } });
}
