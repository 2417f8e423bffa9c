/**
 * TensorFlow.js Layers, imported in this one place like the core ops in tf.ts: the models build their
 * scoring graphs (and the neural model its training graph) from it, and artifacts are stock Layers models.
 */
import * as tfl from '@tensorflow/tfjs-layers';

export { tfl };
export type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs-layers';
