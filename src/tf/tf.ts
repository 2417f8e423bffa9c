/**
 * The one place the project imports TensorFlow.js from. Model code imports `tf` from here and never branches
 * on the backend; `backend.ts` chooses which backend runs the ops.
 */
import * as tf from '@tensorflow/tfjs-core';

export { tf };
export type {
  Tensor,
  Tensor1D,
  Tensor2D,
  Tensor3D,
  Rank,
  TensorLike,
  NamedTensorMap,
} from '@tensorflow/tfjs-core';
