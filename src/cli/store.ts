import type { DataLocation } from '../storage/data-location.js';
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

/**
 * Where a command's data lives (RECSYS_DATA_DIR, MOVIELENS_DIR, RECSYS_CACHE_DIR: paths or gs:// URIs) for the
 * gs:-aware loaders in src/storage/data-location.ts, with the GCS endpoint override passed down.
 * @example const tables = await loadDatasetTablesAt(config.dataset, { ...dataLocation(config), logger });
 */
export function dataLocation(config: Config): DataLocation {
  return {
    dataDir: config.dataDir,
    ...(config.movielensDir !== undefined ? { from: config.movielensDir } : {}),
    cacheDir: config.cacheDir,
    gcs: { endpoint: config.gcsEndpoint },
  };
}
