import path from 'node:path';
import type { ModelKind } from '../core/types.js';
import { loadArtifact } from '../artifacts/load.js';
import { currentPointerKey, readCurrentPointer } from '../artifacts/pointer.js';
import type { ModelFactory } from '../models/types.js';
import type { ArtifactStore } from '../storage/types.js';
import { historyPolicyFrom } from './history.js';
import type { ModelSource } from './ports.js';

/**
 * The artifacts layer as a ModelSource: `current` read from the store's pointer, versions loaded (verified)
 * through `loadArtifact`, and on a local store the model's folder to watch.
 * @example const models = artifactModelSource(createArtifactStore(config.artifactsUri), 'als');
 */
export function artifactModelSource(
  store: ArtifactStore,
  kind: ModelKind,
  options: { factory?: ModelFactory } = {},
): ModelSource {
  return {
    kind,
    currentVersion: () => readCurrentPointer(store, kind),
    async load(version) {
      const loaded = await loadArtifact(store, kind, version, options);
      return {
        model: loaded.model,
        kind,
        version: loaded.ref.version,
        loadedAt: new Date(),
        seen: loaded.seen,
        historyPolicy: historyPolicyFrom(loaded.manifest.training),
      };
    },
    watchFolder() {
      const pointer = store.localPath(currentPointerKey(kind));
      return pointer === null ? null : path.dirname(pointer);
    },
  };
}
