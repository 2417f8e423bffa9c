import { AppError } from '../core/errors.js';
import { MODEL_KINDS, type ModelKind } from '../core/types.js';
import type { ArtifactStore } from '../storage/types.js';
import { MANIFEST_JSON, VERSION_PATTERN, manifestSchema, type ArtifactManifest } from './format.js';
import { readCurrentPointer } from './pointer.js';

/** One complete version in the store, as `recsys artifacts list` shows it. */
export interface ArtifactSummary {
  kind: ModelKind;
  version: string;
  /** Whether the model's `current` pointer names this version. */
  current: boolean;
  /** The manifest, or null when it cannot be read (then `problem` says why). */
  manifest: ArtifactManifest | null;
  problem?: string;
}

/**
 * Every published version of every model, oldest first within a model. A version counts once its
 * manifest.json exists (staging folders and unfinished uploads are skipped). Only manifests are read; use
 * verifyArtifact to check the files. Staging folders left by saves that were killed are removed on the way
 * (`store.removeStaleStaging`; never one of a save still running).
 * @example for (const a of await listArtifacts(store)) console.log(a.kind, a.version, a.current);
 */
export async function listArtifacts(store: ArtifactStore): Promise<ArtifactSummary[]> {
  const out: ArtifactSummary[] = [];
  const kinds = (await store.list('')).filter((k): k is ModelKind =>
    (MODEL_KINDS as readonly string[]).includes(k),
  );
  for (const kind of kinds) {
    await store.removeStaleStaging?.(kind);
    const current = await readCurrentPointer(store, kind);
    for (const version of (await store.list(kind)).filter((v) => VERSION_PATTERN.test(v))) {
      const key = `${kind}/${version}/${MANIFEST_JSON}`;
      if (!(await store.exists(key))) continue;
      const summary: ArtifactSummary = { kind, version, current: version === current, manifest: null };
      try {
        const parsed = manifestSchema.safeParse(JSON.parse(new TextDecoder().decode(await store.read(key))));
        if (parsed.success) summary.manifest = parsed.data;
        else summary.problem = `manifest.json: ${parsed.error.issues[0]?.message ?? 'invalid'}`;
      } catch (error) {
        if (error instanceof AppError) throw error;
        summary.problem = `manifest.json: ${(error as Error).message}`;
      }
      out.push(summary);
    }
  }
  return out;
}
