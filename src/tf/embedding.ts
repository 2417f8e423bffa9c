/**
 * Row lookups that can be trained on every backend. `tf.gather`'s gradient needs UnsortedSegmentSum, which
 * the WASM backend 4.22 lacks, and `tf.gatherND` has no registered gradient at all; this lookup is gatherND
 * forward with a custom gradient that scatters the incoming rows back with `tf.scatterND` (which sums
 * repeated indices), so `tf.variableGrads` / an optimizer's `minimize` work on embedding tables anywhere.
 */
import { tf, type Tensor, type Tensor2D } from './tf.js';

/**
 * `table[indices]` (rows), differentiable with respect to `table`. `indices` is an int32 tensor of any
 * shape; the result has shape `[...indices.shape, columns]`.
 * @example const userVectors = lookupRows(userEmbedding, batchUsers); // [batch, factors]
 */
export function lookupRows(table: Tensor2D, indices: Tensor): Tensor {
  const columns = table.shape[1];
  // The indices go in as an input and are saved: tensors made in the forward pass are freed before the
  // backward pass runs. Their own gradient is zero (they are integers).
  const lookup = tf.customGrad(((t: Tensor, idx: Tensor, save: (tensors: Tensor[]) => void) => {
    const flat = tf.reshape(idx, [-1, 1]);
    save([flat]);
    return {
      value: tf.reshape(tf.gatherND(t, flat), [...idx.shape, columns]),
      gradFunc: (dy: Tensor, saved: Tensor[]) => [
        tf.scatterND(saved[0] as Tensor, tf.reshape(dy, [-1, columns]), t.shape),
        tf.zeros(idx.shape),
      ],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return lookup(table, indices) as Tensor;
}

/**
 * Dot products of each user vector with each of its k item vectors: `users` [b, f], `items` [b, k, f] ->
 * [b, k]. The same as `sum(users[:, None, :] * items, -1)`, with a gradient written out (two products and
 * one sum) instead of autodiff's, whose Sum gradient multiplies by a full-size tensor of ones.
 * @example const scores = pairDot(userVectors, itemVectors); // [batch, 1 + negatives]
 */
export function pairDot(users: Tensor, items: Tensor): Tensor {
  const [b, k, f] = items.shape as [number, number, number];
  const dot = tf.customGrad(((u: Tensor, v: Tensor, save: (tensors: Tensor[]) => void) => {
    const u3 = tf.reshape(u, [b, 1, f]);
    save([u3, v]);
    return {
      value: tf.sum(tf.mul(u3, v), 2),
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const dy3 = tf.reshape(dy, [b, k, 1]);
        return [tf.sum(tf.mul(dy3, saved[1] as Tensor), 1), tf.mul(dy3, saved[0] as Tensor)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return dot(users, items) as Tensor;
}
