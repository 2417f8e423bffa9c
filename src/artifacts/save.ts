import { createHash } from 'node:crypto';
import { AppError, ValidationError } from '../core/errors.js';
import type { MovieRow } from '../data/schema.js';
import type { CsrMatrix } from '../dataset/types.js';
import type { ModelState, Recommender } from '../models/types.js';
import type { ArtifactStore } from '../storage/types.js';
import { tf } from '../tf/tf.js';
import {
  ARTIFACT_FORMAT_VERSION,
  MANIFEST_JSON,
  MOVIES_JSON,
  STATE_JSON,
  STATE_JSON_FORMAT,
  WEIGHT_PREFIX,
  type ArtifactManifest,
  type ArtifactRef,
} from './format.js';
import { storeIOHandler } from './io-handler.js';
import { encodeMovies } from './movies.js';
import { versionName } from './version.js';

/** What the artifact records beside the model itself (all optional). */
export interface ArtifactMeta {
  /** The data the model was trained on; `hash` from training/fingerprint.ts. */
  dataset?: { name: string; hash: string; interactions: number } | null;
  /** How metrics were measured, e.g. 'temporal leave-last-5 (1 validation), positives rating >= 4'. */
  split?: string | null;
  metrics?: Record<string, number> | null;
  /** Figures of the training run (fit seconds, iterations, final loss...). */
  training?: Record<string, number | string | boolean> | null;
  /** Every item each user rated (rows = model.users, columns = model.items), excluded by `recommend`. */
  seen?: CsrMatrix | null;
  /** The dataset's movies; those the model knows are stored for titles. */
  movies?: readonly MovieRow[] | null;
  /** Creation time (default now); sets the version name. */
  now?: Date;
}

interface NamedArray {
  name: string;
  data: Float32Array | Int32Array;
  shape: number[];
}

/**
 * Saves a fitted model as a new immutable version `<kind>/<version>/` of the store: its scoring Layers model
 * (model.json + shards, what stock TF.js opens), its state (state.json + shards) through the same tf.io
 * handler, movies.json, and manifest.json last, all in a staged folder published at once.
 * Nothing is visible (and `current` is untouched) if any step fails. Does not move `current`: see
 * promoteArtifact.
 * @example const ref = await saveArtifact(store, model, { seen, movies: tables.movies, metrics });
 */
export async function saveArtifact(
  store: ArtifactStore,
  model: Recommender,
  meta: ArtifactMeta = {},
): Promise<ArtifactRef & { manifest: ArtifactManifest }> {
  const state = model.getState();
  if (state.kind !== model.kind) {
    throw new ValidationError('state.kind', `model ${model.kind} returned a state of kind ${state.kind}`);
  }
  const { users, items } = model;
  const arrays = namedArrays(state, users.rawIds, items.rawIds, meta.seen ?? null);
  const topology = {
    kind: state.kind,
    formatVersion: state.formatVersion,
    hyperparameters: state.hyperparameters,
    ...(state.info !== undefined ? { info: state.info } : {}),
  };
  const { data, specs } = await encodeArrays(arrays);
  const digest = createHash('sha256')
    .update(JSON.stringify(topology))
    .update(new Uint8Array(data))
    .digest('hex');
  const now = meta.now ?? new Date();
  const version = versionName(now, digest);
  const prefix = `${model.kind}/${version}`;

  const files: ArtifactManifest['files'] = {};
  const staged = await store.stage(prefix);
  const write = async (name: string, bytes: Uint8Array): Promise<void> => {
    await staged.write(name, bytes);
    files[name] = { bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') };
  };
  const scoring = model.scoringModel();
  try {
    await scoring.model.save(storeIOHandler({ write }));
    await storeIOHandler({ write }, { json: STATE_JSON, shardPrefix: 'state' }).save({
      modelTopology: topology,
      format: STATE_JSON_FORMAT,
      generatedBy: `recsys (TensorFlow.js ${tf.version_core})`,
      convertedBy: null,
      weightSpecs: specs,
      weightData: data,
    });
    let movieCount: number | null = null;
    if (meta.movies) {
      const movies = encodeMovies(meta.movies, items);
      await write(MOVIES_JSON, movies.bytes);
      movieCount = movies.count;
    }
    const manifest: ArtifactManifest = {
      formatVersion: ARTIFACT_FORMAT_VERSION,
      kind: model.kind,
      version,
      createdAt: now.toISOString(),
      generatedBy: `recsys (TensorFlow.js ${tf.version_core})`,
      backend: tf.getBackend(),
      modelFormatVersion: state.formatVersion,
      hyperparameters: { ...state.hyperparameters },
      dataset: meta.dataset ? { ...meta.dataset, users: users.size, items: items.size } : null,
      split: meta.split ?? null,
      metrics: meta.metrics ?? null,
      training: meta.training ?? null,
      idMaps: { users: users.size, items: items.size },
      scoring: { input: scoring.input },
      seen: meta.seen ? { nnz: meta.seen.indices.length } : null,
      movies: movieCount,
      files: { ...files },
    };
    // Last: a version whose manifest exists is complete (that is also how a GCS store tells them apart).
    await staged.write(MANIFEST_JSON, new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`));
    await staged.publish();
    const location = store.localPath(prefix) ?? `${store.uri}/${prefix}`;
    return { kind: model.kind, version, prefix, location, manifest };
  } catch (error) {
    await staged.abort();
    throw error;
  } finally {
    scoring.model.dispose();
  }
}

function namedArrays(
  state: ModelState,
  userIds: Int32Array,
  itemIds: Int32Array,
  seen: CsrMatrix | null,
): NamedArray[] {
  const out: NamedArray[] = [];
  for (const [name, array] of Object.entries(state.arrays)) {
    out.push({ name: `${WEIGHT_PREFIX.model}${name}`, data: array.data, shape: array.shape });
  }
  out.push({ name: WEIGHT_PREFIX.userIds, data: userIds, shape: [userIds.length] });
  out.push({ name: WEIGHT_PREFIX.itemIds, data: itemIds, shape: [itemIds.length] });
  if (seen) {
    if (seen.nRows !== userIds.length || seen.nCols !== itemIds.length) {
      throw new ValidationError(
        'seen',
        `matrix is ${seen.nRows} x ${seen.nCols}, the model has ${userIds.length} users x ${itemIds.length} items`,
      );
    }
    out.push({ name: WEIGHT_PREFIX.seenIndptr, data: seen.indptr, shape: [seen.indptr.length] });
    out.push({ name: WEIGHT_PREFIX.seenIndices, data: seen.indices, shape: [seen.indices.length] });
  }
  for (const a of out) {
    const size = a.shape.reduce((p, d) => p * d, 1);
    if (size !== a.data.length || a.shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new ValidationError(
        a.name,
        `shape [${a.shape.join(', ')}] does not hold ${a.data.length} values`,
      );
    }
  }
  return out;
}

/** Encodes the arrays through tf.io.encodeWeights; the temporary tensors are disposed whatever happens. */
async function encodeArrays(
  arrays: NamedArray[],
): Promise<{ data: ArrayBuffer; specs: tf.io.WeightsManifestEntry[] }> {
  const tensors: tf.NamedTensorMap = {};
  try {
    for (const a of arrays) {
      tensors[a.name] = tf.tensor(a.data, a.shape, a.data instanceof Int32Array ? 'int32' : 'float32');
    }
    return await tf.io.encodeWeights(tensors);
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new ValidationError('state', `weights could not be encoded: ${(error as Error).message}`);
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
}
