import { tf } from '../tf/tf.js';
import { ArtifactIntegrityError } from '../core/errors.js';
import { MODEL_JSON, SHARD_BYTES } from './format.js';

/** Which JSON file and shard names a handler writes: the Layers model's, or the state's beside it. */
export interface ArtifactFileNames {
  json: string;
  /** Shards are `<shardPrefix>-shard<i>of<n>.bin` (TF.js's own `group1` for model.json). */
  shardPrefix: string;
}

const MODEL_FILES: ArtifactFileNames = { json: MODEL_JSON, shardPrefix: 'group1' };

type IOHandler = Required<Pick<tf.io.IOHandler, 'save' | 'load'>>;
type ModelArtifacts = tf.io.ModelArtifacts;
type ModelJSON = tf.io.ModelJSON;

/** Where the handler puts and gets files of one artifact folder, by name. */
export interface ArtifactFiles {
  write?: (name: string, bytes: Uint8Array) => Promise<void>;
  read?: (name: string) => Promise<Uint8Array>;
}

/**
 * A `tf.io.IOHandler` over an artifact folder: `save` writes the weights as `group1-shard<i>of<n>.bin` shards
 * of at most `shardBytes` and then `model.json` (TF.js's ModelJSON with a `weightsManifest`); `load` reads
 * them back as ModelArtifacts. A Layers model saves through it (`model.save(handler)`); with other `names`
 * it writes the model's state beside (`state.json` + `state-shard*.bin`) in the same format.
 * @example await scoring.model.save(storeIOHandler({ write: staged.write }));
 */
export function storeIOHandler(
  files: ArtifactFiles,
  names: ArtifactFileNames = MODEL_FILES,
  shardBytes = SHARD_BYTES,
): IOHandler {
  return {
    async save(artifacts: ModelArtifacts) {
      const write = files.write;
      if (!write) throw new Error('this artifact handler is read-only');
      const data = new Uint8Array(tf.io.concatenateArrayBuffers(artifacts.weightData ?? new ArrayBuffer(0)));
      const count = Math.max(1, Math.ceil(data.byteLength / shardBytes));
      const paths: string[] = [];
      for (let i = 0; i < count; i++) {
        const name = `${names.shardPrefix}-shard${i + 1}of${count}.bin`;
        await write(name, data.subarray(i * shardBytes, Math.min(data.byteLength, (i + 1) * shardBytes)));
        paths.push(name);
      }
      // The fields TF.js's own handlers write (io_utils getModelJSONForModelArtifacts, not exported).
      const modelJson: ModelJSON = {
        modelTopology: artifacts.modelTopology ?? {},
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths, weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      };
      await write(names.json, new TextEncoder().encode(`${JSON.stringify(modelJson, null, 1)}\n`));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    async load() {
      const read = files.read;
      if (!read) throw new Error('this artifact handler is write-only');
      const modelJson = parseModelJson(await read(names.json), names.json);
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights);
        const shards: ArrayBuffer[] = [];
        for (const group of manifest) {
          for (const p of group.paths) {
            const bytes = await read(p);
            shards.push(
              bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
            );
          }
        }
        return [specs, shards];
      });
    },
  };
}

function parseModelJson(bytes: Uint8Array, file: string): ModelJSON {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new ArtifactIntegrityError(file, `not JSON (${(error as Error).message})`);
  }
  const json = parsed as Partial<ModelJSON> | null;
  if (!json || typeof json !== 'object' || !Array.isArray(json.weightsManifest) || !json.modelTopology) {
    throw new ArtifactIntegrityError(file, 'not a TF.js model.json (no modelTopology or weightsManifest)');
  }
  return json as ModelJSON;
}
