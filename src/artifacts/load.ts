import { ArtifactIntegrityError, NotFoundError } from '../core/errors.js';
import type { ModelKind } from '../core/types.js';
import { encoderFromSortedUnique } from '../dataset/encoder.js';
import type { CsrMatrix, IdEncoder } from '../dataset/types.js';
import { getModelFactory } from '../models/registry.js';
import type { ModelFactory, ModelState, Recommender } from '../models/types.js';
import type { ArtifactStore } from '../storage/types.js';
import { tf } from '../tf/tf.js';
import { MOVIES_JSON, STATE_JSON, WEIGHT_PREFIX, type ArtifactManifest, type ArtifactRef } from './format.js';
import { storeIOHandler } from './io-handler.js';
import { decodeMovies, type MovieCatalog } from './movies.js';
import { readCurrentPointer } from './pointer.js';
import { verifyArtifact } from './verify.js';
import { checkKind } from './version.js';

/** A model rebuilt from an artifact, with what was stored beside it. */
export interface LoadedArtifact {
  model: Recommender;
  manifest: ArtifactManifest;
  ref: ArtifactRef;
  /** Every item each user rated (rows = model.users), or null when saved without it. */
  seen: CsrMatrix | null;
  /** Titles and genres of the model's items, or null when saved without them. */
  movies: MovieCatalog | null;
}

export interface LoadArtifactOptions {
  /** The factory that rebuilds the model (default: the registry's, `getModelFactory(kind)`). */
  factory?: ModelFactory;
}

/**
 * Loads a version (or the one `current` points to), verifying every file's sha256 first, and rebuilds the
 * model through its factory's `fromState`. Leaves no tensors behind other than the model's own. Throws
 * NotFoundError for an unknown version or a model without `current`, ArtifactIntegrityError for a damaged one.
 * @example const { model, seen, movies } = await loadArtifact(store, 'als', 'current');
 */
export async function loadArtifact(
  store: ArtifactStore,
  kind: ModelKind,
  version: string = 'current',
  options: LoadArtifactOptions = {},
): Promise<LoadedArtifact> {
  checkKind(kind);
  const resolved = version === 'current' ? await readCurrentPointer(store, kind) : version;
  if (resolved === null) throw new NotFoundError('current artifact of model', kind);
  const prefix = `${kind}/${resolved}`;
  const where = (name: string): string =>
    store.localPath(`${prefix}/${name}`) ?? `${store.uri}/${prefix}/${name}`;
  const { manifest, files } = await verifyArtifact(store, kind, resolved);

  const read = async (name: string): Promise<Uint8Array> => {
    const bytes = files.get(name);
    if (!bytes)
      throw new ArtifactIntegrityError(where(name), 'state.json names it but manifest.json does not list it');
    return bytes;
  };
  // model.json (the stock Layers model) is verified above but not read: state.json rebuilds the model.
  const artifacts = await storeIOHandler({ read }, { json: STATE_JSON, shardPrefix: 'state' }).load();
  const arrays = decodeArrays(artifacts, where(STATE_JSON));
  const topology = artifacts.modelTopology as Partial<ModelState> | undefined;
  if (topology?.kind !== kind || typeof topology.formatVersion !== 'number') {
    throw new ArtifactIntegrityError(where(STATE_JSON), `modelTopology does not describe a ${kind} model`);
  }
  const users = encoderOf(arrays, WEIGHT_PREFIX.userIds, where(STATE_JSON));
  const items = encoderOf(arrays, WEIGHT_PREFIX.itemIds, where(STATE_JSON));
  const state: ModelState = {
    kind,
    formatVersion: topology.formatVersion,
    hyperparameters: topology.hyperparameters ?? {},
    arrays: {},
    ...(topology.info !== undefined ? { info: topology.info } : {}),
  };
  for (const [name, array] of arrays) {
    if (name.startsWith(WEIGHT_PREFIX.model)) state.arrays[name.slice(WEIGHT_PREFIX.model.length)] = array;
  }
  const seen = manifest.seen ? seenOf(arrays, users.size, items.size, where(STATE_JSON)) : null;
  const movieBytes = files.get(MOVIES_JSON);
  const movies = movieBytes ? decodeMovies(movieBytes, where(MOVIES_JSON)) : null;

  const factory = options.factory ?? getModelFactory(kind);
  const model = factory.fromState(state, { users, items });
  const location = store.localPath(prefix) ?? `${store.uri}/${prefix}`;
  return { model, manifest, ref: { kind, version: resolved, prefix, location }, seen, movies };
}

type DecodedArray = { data: Float32Array | Int32Array; shape: number[] };

/** The weights as typed arrays; the tensors tf.io.decodeWeights creates are disposed at once. */
function decodeArrays(artifacts: tf.io.ModelArtifacts, where: string): Map<string, DecodedArray> {
  if (!artifacts.weightSpecs || !artifacts.weightData) throw new ArtifactIntegrityError(where, 'no weights');
  let tensors: tf.NamedTensorMap = {};
  try {
    tensors = tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs);
    const out = new Map<string, DecodedArray>();
    for (const [name, t] of Object.entries(tensors)) {
      if (t.dtype !== 'float32' && t.dtype !== 'int32') {
        throw new ArtifactIntegrityError(where, `weight ${name} has dtype ${t.dtype}`);
      }
      // A copy: some backends hand out views of their own memory.
      const values = t.dataSync() as Float32Array | Int32Array;
      out.set(name, { data: values.slice(), shape: [...t.shape] });
    }
    return out;
  } catch (error) {
    if (error instanceof ArtifactIntegrityError) throw error;
    throw new ArtifactIntegrityError(where, `weights do not decode: ${(error as Error).message}`);
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
}

function int32Of(arrays: Map<string, DecodedArray>, name: string, where: string): Int32Array {
  const data = arrays.get(name)?.data;
  if (!(data instanceof Int32Array))
    throw new ArtifactIntegrityError(where, `int32 weight ${name} is missing`);
  return data;
}

function encoderOf(arrays: Map<string, DecodedArray>, name: string, where: string): IdEncoder {
  const ids = int32Of(arrays, name, where);
  for (let i = 1; i < ids.length; i++) {
    if ((ids[i] as number) <= (ids[i - 1] as number)) {
      throw new ArtifactIntegrityError(where, `${name} is not sorted and distinct at index ${i}`);
    }
  }
  return encoderFromSortedUnique(ids);
}

function seenOf(arrays: Map<string, DecodedArray>, nRows: number, nCols: number, where: string): CsrMatrix {
  const indptr = int32Of(arrays, WEIGHT_PREFIX.seenIndptr, where);
  const indices = int32Of(arrays, WEIGHT_PREFIX.seenIndices, where);
  if (indptr.length !== nRows + 1 || indptr[0] !== 0 || indptr[nRows] !== indices.length) {
    throw new ArtifactIntegrityError(where, 'seen/indptr does not fit the users and seen/indices');
  }
  for (let r = 0; r < nRows; r++) {
    if ((indptr[r + 1] as number) < (indptr[r] as number)) {
      throw new ArtifactIntegrityError(where, `seen/indptr decreases at row ${r}`);
    }
  }
  for (let p = 0; p < indices.length; p++) {
    const c = indices[p] as number;
    if (!(c >= 0 && c < nCols))
      throw new ArtifactIntegrityError(where, `seen/indices[${p}] = ${c} is out of range`);
  }
  return { nRows, nCols, indptr, indices, values: new Float32Array(indices.length).fill(1) };
}
