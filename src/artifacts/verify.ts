import { createHash } from 'node:crypto';
import { ArtifactIntegrityError, NotFoundError } from '../core/errors.js';
import type { ModelKind } from '../core/types.js';
import type { ArtifactStore } from '../storage/types.js';
import { ARTIFACT_FORMAT_VERSION, MANIFEST_JSON, manifestSchema, type ArtifactManifest } from './format.js';
import { checkKind, checkVersion } from './version.js';

/** A version whose every file matched its manifest, with the verified bytes by file name. */
export interface VerifiedArtifact {
  manifest: ArtifactManifest;
  files: ReadonlyMap<string, Uint8Array>;
}

/**
 * Reads a version and checks it against its manifest: format version, kind and version fields, then the size
 * and sha256 of every file listed. Throws NotFoundError when the version does not exist and
 * ArtifactIntegrityError naming the file for a missing file, a changed byte or an unreadable manifest.
 * @example const { manifest, files } = await verifyArtifact(store, 'als', '20261125T101500123Z-1a2b3c4d');
 */
export async function verifyArtifact(
  store: ArtifactStore,
  kind: ModelKind,
  version: string,
): Promise<VerifiedArtifact> {
  checkKind(kind);
  checkVersion(version);
  const prefix = `${kind}/${version}`;
  const where = (name: string): string =>
    store.localPath(`${prefix}/${name}`) ?? `${store.uri}/${prefix}/${name}`;
  if (!(await store.exists(prefix))) throw new NotFoundError(`artifact of model ${kind}, version`, version);

  const manifest = await readManifest(store, prefix, where(MANIFEST_JSON));
  if (manifest.kind !== kind || manifest.version !== version) {
    throw new ArtifactIntegrityError(
      where(MANIFEST_JSON),
      `it describes ${manifest.kind}/${manifest.version}, not ${kind}/${version}`,
    );
  }
  const files = new Map<string, Uint8Array>();
  for (const [name, expected] of Object.entries(manifest.files)) {
    if (!(await store.exists(`${prefix}/${name}`)))
      throw new ArtifactIntegrityError(where(name), 'the file is missing');
    const bytes = await store.read(`${prefix}/${name}`);
    if (bytes.byteLength !== expected.bytes) {
      throw new ArtifactIntegrityError(
        where(name),
        `${bytes.byteLength} bytes, the manifest says ${expected.bytes}`,
      );
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (sha256 !== expected.sha256) {
      throw new ArtifactIntegrityError(
        where(name),
        `sha256 ${sha256} differs from the manifest's ${expected.sha256}`,
      );
    }
    files.set(name, bytes);
  }
  return { manifest, files };
}

async function readManifest(store: ArtifactStore, prefix: string, where: string): Promise<ArtifactManifest> {
  if (!(await store.exists(`${prefix}/${MANIFEST_JSON}`))) {
    throw new ArtifactIntegrityError(where, 'the file is missing (an incomplete version)');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(await store.read(`${prefix}/${MANIFEST_JSON}`)));
  } catch (error) {
    throw new ArtifactIntegrityError(where, `not JSON (${(error as Error).message})`);
  }
  // The format version first: a newer format may have other fields, and that is the clearer message.
  const formatVersion = (raw as { formatVersion?: unknown } | null)?.formatVersion;
  if (formatVersion !== ARTIFACT_FORMAT_VERSION) {
    const kind = (raw as { kind?: unknown } | null)?.kind;
    const retrain =
      typeof formatVersion === 'number' && formatVersion < ARTIFACT_FORMAT_VERSION
        ? `; it was saved by an older recsys: retrain it (recsys train --model ${typeof kind === 'string' ? kind : '<kind>'})`
        : '';
    throw new ArtifactIntegrityError(
      where,
      `artifact format version ${JSON.stringify(formatVersion)}; this build reads version ${ARTIFACT_FORMAT_VERSION}${retrain}`,
    );
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ArtifactIntegrityError(
      where,
      `field ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}
