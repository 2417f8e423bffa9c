import { z } from 'zod';
import { MODEL_KINDS } from '../core/types.js';

/**
 * The on-store layout of one artifact version (`<kind>/<version>/`):
 * - `model.json` + `group1-shard<i>of<n>.bin`: a stock TF.js Layers model (`format: 'layers-model'`) that
 *   `tf.loadLayersModel` opens in Node or a browser; its `predict` gives one score per item (the manifest's
 *   `scoring.input` says what it takes: see ScoringInput in models/types.ts).
 * - `state.json` + `state-shard<i>of<n>.bin`: the same ModelJSON format (`format: 'recsys-model-state'`,
 *   `tf.io.loadWeights` reads its `weightsManifest`) holding what the registry rebuilds the model from:
 *   `model/<array>` (the model's state arrays), `ids/users` and `ids/items` (raw MovieLens ids by dense
 *   index, int32), `seen/indptr` and `seen/indices` (every item each user rated, int32 CSR) when saved with
 *   them. `modelTopology` holds the state header (kind, state format version, hyperparameters, info).
 * - `movies.json` (optional): id, title and genres of the catalogue, so `recommend` shows titles from the
 *   artifact alone.
 * - `manifest.json`: written last; see ArtifactManifest. It lists the sha256 of every other file.
 * Shards are cut at 4 MB as the TF.js converter does.
 */
export const ARTIFACT_FORMAT_VERSION = 2;
export const MODEL_JSON = 'model.json';
export const STATE_JSON = 'state.json';
export const MANIFEST_JSON = 'manifest.json';
export const MOVIES_JSON = 'movies.json';
/** The pointer file under each model's folder naming its current version. */
export const CURRENT_POINTER = 'current';
/** TF.js converter's default shard size (`--weight_shard_size_bytes`). */
export const SHARD_BYTES = 4 * 1024 * 1024;
/** The `format` field of state.json (model.json is TF.js's own 'layers-model'). */
export const STATE_JSON_FORMAT = 'recsys-model-state';

export const WEIGHT_PREFIX = {
  model: 'model/',
  userIds: 'ids/users',
  itemIds: 'ids/items',
  seenIndptr: 'seen/indptr',
  seenIndices: 'seen/indices',
} as const;

/** `20261125T101500123Z-1a2b3c4d`: UTC time to the millisecond, then 8 hex of the weights' sha256. */
export const VERSION_PATTERN = /^\d{8}T\d{9}Z-[0-9a-f]{8}$/;

const scalar = z.union([z.number(), z.string(), z.boolean()]);

const fileEntry = z.object({
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export const manifestSchema = z.object({
  formatVersion: z.number().int(),
  kind: z.enum(MODEL_KINDS),
  version: z.string().regex(VERSION_PATTERN),
  createdAt: z.string(),
  generatedBy: z.string(),
  /** The TF.js backend the model was trained and saved on. */
  backend: z.string(),
  /** The model's own state format (ModelState.formatVersion); its factory refuses others. */
  modelFormatVersion: z.number().int(),
  hyperparameters: z.record(scalar),
  dataset: z
    .object({
      name: z.string(),
      /** sha256 over the ratings columns the model was trained from (see training/fingerprint.ts). */
      hash: z.string(),
      users: z.number().int(),
      items: z.number().int(),
      interactions: z.number().int(),
    })
    .nullable(),
  /** How the data was split when metrics were measured (null: trained on everything, no evaluation). */
  split: z.string().nullable(),
  metrics: z.record(z.number()).nullable(),
  training: z.record(scalar).nullable(),
  idMaps: z.object({ users: z.number().int(), items: z.number().int() }),
  /** How to call model.json's predict (ScoringInput). */
  scoring: z.object({ input: z.enum(['user', 'history', 'user-item']) }),
  seen: z.object({ nnz: z.number().int() }).nullable(),
  movies: z.number().int().nullable(),
  /** Every file of the version except manifest.json itself. */
  files: z.record(fileEntry),
});

/** What manifest.json holds. */
export type ArtifactManifest = z.infer<typeof manifestSchema>;

/** A saved version, as the store addresses it. */
export interface ArtifactRef {
  kind: (typeof MODEL_KINDS)[number];
  version: string;
  /** Store key prefix of the version: `<kind>/<version>`. */
  prefix: string;
  /** Where it is, for people: the folder on local disk, or `<store uri>/<prefix>`. */
  location: string;
}
