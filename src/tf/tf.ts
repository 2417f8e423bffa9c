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

/**
 * `tf.tidy` for a function returning any object of tensors (interfaces, nulls among them), which tidy's
 * TensorContainer type does not admit: every tensor reachable in the result is kept, the rest freed.
 * @example const { itemT, bias } = tidyObject(() => ({ itemT: tf.transpose(v), bias: null }));
 */
export function tidyObject<T>(fn: () => T): T {
  return tf.tidy(fn as () => tf.TensorContainer) as T;
}
