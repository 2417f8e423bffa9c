/**
 * Fold-in for the neural model: the embedding of users not in training, from their histories, with every
 * item-side weight frozen. A fixed number of Adam steps on the multinomial likelihood of each history over
 * the catalogue, from zero vectors, so the same history always gives the same vector. (A sampled-loss model
 * is folded in with the same likelihood: it needs no negatives and ranks by the same scores.)
 */
import type { CsrMatrix } from '../dataset/types.js';
import { tf, tidyObject, type Tensor2D } from '../tf/tf.js';
import type { NeuralHyperparameters } from './neural-hyperparameters.js';
import { neumfRows, type NeuralNetwork } from './neural-network.js';

const STEPS = 60;
const LEARNING_RATE = 0.05;

/**
 * One vector per history row: [rows, factors] for mf, [rows, 2 x factors] (GMF then MLP) for neumf.
 * @example const vectors = foldInUsers(h, net, historyMatrix(histories, nItems));
 */
export function foldInUsers(
  h: NeuralHyperparameters,
  net: NeuralNetwork,
  histories: CsrMatrix,
): Float32Array {
  const rows = histories.nRows;
  const width = h.architecture === 'mf' ? h.factors : 2 * h.factors;
  if (rows === 0) return new Float32Array(0);
  const targets = new Float32Array(rows * histories.nCols);
  for (let r = 0; r < rows; r++) {
    for (let p = histories.indptr[r] as number; p < (histories.indptr[r + 1] as number); p++) {
      targets[r * histories.nCols + (histories.indices[p] as number)] = 1;
    }
  }
  const target = tf.tensor2d(targets, [rows, histories.nCols]);
  const zeros = tf.zeros([rows, width]);
  const vectors = tf.variable(zeros, true);
  zeros.dispose();
  const optimizer = tf.train.adam(LEARNING_RATE);
  const frozen = tidyObject(() => {
    if (h.architecture !== 'mf') return { dense: net.dense(), itemT: null, bias: null };
    return {
      dense: null,
      itemT: tf.transpose(net.variables.itemEmbedding!) as Tensor2D,
      bias: tf.reshape(net.variables.itemBias!, [1, -1]),
    };
  });
  try {
    const count = Math.max(
      1,
      targets.reduce((a, b) => a + b, 0),
    );
    for (let step = 0; step < STEPS; step++) {
      const cost = optimizer.minimize(
        () => {
          const v = vectors as unknown as Tensor2D;
          const scores = frozen.dense
            ? neumfRows(
                h,
                tf.slice(v, [0, 0], [rows, h.factors]),
                tf.slice(v, [0, h.factors], [rows, h.factors]),
                frozen.dense,
              )
            : tf.add(tf.matMul(v, frozen.itemT!), frozen.bias!);
          const likelihood = tf.div(tf.sum(tf.mul(target, tf.logSoftmax(scores))), count);
          return tf.sub(tf.mul(h.l2 / rows, tf.sum(tf.square(v))), likelihood) as tf.Scalar;
        },
        false,
        [vectors],
      );
      cost?.dispose();
    }
    return (vectors.dataSync() as Float32Array).slice();
  } finally {
    optimizer.dispose();
    tf.dispose([
      target,
      vectors,
      ...(frozen.itemT ? [frozen.itemT, frozen.bias!] : []),
      ...(frozen.dense ? Object.values(frozen.dense) : []),
    ]);
  }
}
