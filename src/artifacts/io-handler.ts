import { tf } from '../tf/tf.js';
import { ArtifactIntegrityError } from '../core/errors.js';
import { MODEL_JSON, SHARD_BYTES } from './format.js';

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
 * them back as ModelArtifacts. It works for our state models (`handler.save(artifacts)`) and would equally
 * take a Layers model (`model.save(handler)`).
 * @example await storeIOHandler({ write: staged.write }).save({ modelTopology, weightSpecs, weightData });
 */
export function storeIOHandler(files: ArtifactFiles, shardBytes = SHARD_BYTES): IOHandler {
  return {
    async save(artifacts: ModelArtifacts) {
      const write = files.write;
      if (!write) throw new Error('this artifact handler is read-only');
      const data = new Uint8Array(tf.io.concatenateArrayBuffers(artifacts.weightData ?? new ArrayBuffer(0)));
      const count = Math.max(1, Math.ceil(data.byteLength / shardBytes));
      const paths: string[] = [];
      for (let i = 0; i < count; i++) {
        const name = `group1-shard${i + 1}of${count}.bin`;
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
      await write(MODEL_JSON, new TextEncoder().encode(`${JSON.stringify(modelJson, null, 1)}\n`));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    async load() {
      const read = files.read;
      if (!read) throw new Error('this artifact handler is write-only');
      const modelJson = parseModelJson(await read(MODEL_JSON));
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

function parseModelJson(bytes: Uint8Array): ModelJSON {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new ArtifactIntegrityError(MODEL_JSON, `not JSON (${(error as Error).message})`);
  }
  const json = parsed as Partial<ModelJSON> | null;
  if (!json || typeof json !== 'object' || !Array.isArray(json.weightsManifest) || !json.modelTopology) {
    throw new ArtifactIntegrityError(
      MODEL_JSON,
      'not a TF.js model.json (no modelTopology or weightsManifest)',
    );
  }
  return json as ModelJSON;
}
