import type { ModelKind } from '../core/types.js';
import type { ArtifactStore } from '../storage/types.js';
import { CURRENT_POINTER } from './format.js';
import { verifyArtifact } from './verify.js';
import { checkKind } from './version.js';

/**
 * The store key of a model's `current` pointer: `<kind>/current`. On a local store its file is
 * `store.localPath(currentPointerKey(kind))`, i.e. `<artifacts root>/<kind>/current`, a one-line text file
 * holding the version name. It is replaced by rename, so watch its folder (`<root>/<kind>/`), not the file.
 * @example currentPointerKey('als') // 'als/current'
 */
export function currentPointerKey(kind: ModelKind): string {
  return `${checkKind(kind)}/${CURRENT_POINTER}`;
}

/**
 * The version a model's `current` pointer names, or null when it has none.
 * @example const version = await readCurrentPointer(store, 'als'); // '20261125T101500123Z-1a2b3c4d'
 */
export async function readCurrentPointer(store: ArtifactStore, kind: ModelKind): Promise<string | null> {
  const value = await store.readPointer(currentPointerKey(kind));
  return value === null || value === '' ? null : value;
}

/**
 * Points `current` of a model at a version, atomically (readers see the old version or the new one), after
 * verifying the version's every file. Returns the previous version (null if none).
 * @example await promoteArtifact(store, 'als', '20261125T101500123Z-1a2b3c4d');
 */
export async function promoteArtifact(
  store: ArtifactStore,
  kind: ModelKind,
  version: string,
): Promise<{ previous: string | null; current: string }> {
  await verifyArtifact(store, kind, version);
  const previous = await readCurrentPointer(store, kind);
  await store.writePointer(currentPointerKey(kind), version);
  return { previous, current: version };
}
