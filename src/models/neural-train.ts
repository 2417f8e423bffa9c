/**
 * The neural model's training loop: Adam over mini-batches, and the softmax loss's steps (the sampled losses'
 * are in neural-steps.ts: row-sparse, with a lazy Adam on the embeddings). Early stopping: after every
 * epoch the caller's `validate` scores the model as it stands; the best epoch's weights are kept and
 * training stops after `patience` epochs without a better score.
 */
import type { CsrMatrix } from '../dataset/types.js';
import { lookupRows } from '../tf/embedding.js';
import { tf, type Tensor, type Tensor1D, type Tensor2D } from '../tf/tf.js';
import type { NeuralHyperparameters } from './neural-hyperparameters.js';
import { initialWeights, NeuralNetwork, type NeuralWeights } from './neural-network.js';
import { runSteps, sampledSteps, type EpochTrainer } from './neural-steps.js';
import { positivePairs, shuffledOrder } from './neural-sampling.js';
import { createRng } from '../core/rng.js';
import type { EpochReport, FitOptions } from './types.js';

export interface NeuralTrainResult {
  weights: NeuralWeights;
  epochs: EpochReport[];
  /** The epoch whose weights were kept (1-based): the best on validation, or the last without one. */
  bestEpoch: number;
}

/** Dense targets on the backend up to this many cells (softmax loss); above it, built per batch. */
const DENSE_TARGET_CELLS = 64 * 1024 * 1024;

/**
 * Trains from seeded initial weights. `evaluate` receives the weights after each epoch and returns the
 * validation score (higher is better), or is absent for a fixed number of epochs.
 * @example const { weights } = await trainNeural(train.userItems, h, options, async (w) => score(w));
 */
export async function trainNeural(
  userItems: CsrMatrix,
  h: NeuralHyperparameters,
  options: FitOptions,
  evaluate?: (weights: NeuralWeights) => Promise<number>,
): Promise<NeuralTrainResult> {
  const net = new NeuralNetwork(
    h,
    initialWeights(h, userItems.nRows, userItems.nCols),
    userItems.nRows,
    userItems.nCols,
  );
  const optimizer = tf.train.adam(h.learningRate);
  const trainer = h.loss === 'softmax' ? softmaxSteps(net, userItems, h) : sampledSteps(net, userItems, h);
  const epochs: EpochReport[] = [];
  let best: { score: number; epoch: number; weights: NeuralWeights } | null = null;
  try {
    for (let epoch = 0; epoch < h.epochs; epoch++) {
      const started = performance.now();
      const { loss, examples } = await trainer.epoch(optimizer, epoch, options);
      const seconds = (performance.now() - started) / 1000;
      const metrics: Record<string, number> = { examplesPerSecond: examples / seconds };
      let weights: NeuralWeights | null = null;
      if (evaluate) {
        weights = await net.weights();
        metrics.validation = await evaluate(weights);
      }
      const report: EpochReport = { iteration: epoch + 1, iterations: h.epochs, loss, seconds, metrics };
      epochs.push(report);
      options.onEpoch?.(report);
      options.onProgress?.({
        phase: 'neural epoch',
        done: epoch + 1,
        total: h.epochs,
        unit: 'iterations',
        detail: `loss ${loss.toFixed(4)}${metrics.validation !== undefined ? ` val ${metrics.validation.toFixed(4)}` : ''}`,
      });
      if (weights && metrics.validation !== undefined) {
        if (!best || metrics.validation > best.score)
          best = { score: metrics.validation, epoch: epoch + 1, weights };
        else if (epoch + 1 - best.epoch >= h.patience) break;
      }
    }
    if (best) return { weights: best.weights, epochs, bestEpoch: best.epoch };
    return { weights: await net.weights(), epochs, bestEpoch: epochs.length };
  } finally {
    trainer.dispose();
    optimizer.dispose();
    net.dispose();
  }
}

/** softmax: batches of users, each user's positives as a multinomial over every item. */
function softmaxSteps(net: NeuralNetwork, userItems: CsrMatrix, h: NeuralHyperparameters): EpochTrainer {
  const activeUsers: number[] = [];
  for (let u = 0; u < userItems.nRows; u++) {
    for (let p = userItems.indptr[u] as number; p < (userItems.indptr[u + 1] as number); p++) {
      if ((userItems.values[p] as number) > 0) {
        activeUsers.push(u);
        break;
      }
    }
  }
  const nItems = userItems.nCols;
  const denseTargets = userItems.nRows * nItems <= DENSE_TARGET_CELLS ? positiveMatrix(userItems) : null;
  const positives = positivePairs(userItems).users.length;
  const epochRun: EpochTrainer['epoch'] = async (optimizer, epoch, options) => {
    const order = shuffledOrder(activeUsers.length, createRng(h.seed * 1000 + epoch + 1));
    const users = tf.tensor1d(
      Int32Array.from(order, (q) => activeUsers[q] as number),
      'int32',
    );
    try {
      const steps = Math.ceil(order.length / h.batchSize);
      const softmaxLoss = (s: number): Tensor => {
        const start = s * h.batchSize;
        const b = Math.min(h.batchSize, order.length - start);
        const batch = tf.slice(users, start, b) as Tensor1D;
        const targets = denseTargets
          ? (tf.gatherND(denseTargets, tf.reshape(batch, [-1, 1])) as Tensor2D)
          : batchTargets(userItems, order, activeUsers, start, b);
        const logits = net.userScores(batch);
        const logProbabilities = tf.logSoftmax(logits);
        const likelihood = tf.div(tf.sum(tf.mul(targets, logProbabilities)), tf.maximum(tf.sum(targets), 1));
        const userVectors = lookupRows(net.variables.userEmbedding! as unknown as Tensor2D, batch);
        const penalty = tf.mul(
          h.l2,
          tf.add(
            tf.div(tf.sum(tf.square(userVectors)), b),
            tf.div(tf.sum(tf.square(net.variables.itemEmbedding!)), Math.max(activeUsers.length, 1)),
          ),
        );
        return tf.sub(penalty, likelihood);
      };
      const loss = await runSteps(
        steps,
        (s) => optimizer.minimize(() => softmaxLoss(s) as tf.Scalar, true, net.trainableList()) as Tensor,
        options.signal,
      );
      return { loss, examples: positives };
    } finally {
      users.dispose();
    }
  };
  return { epoch: epochRun, dispose: () => denseTargets?.dispose() };
}

/** The positives as a dense 0/1 [users, items] tensor on the backend. */
function positiveMatrix(userItems: CsrMatrix): Tensor2D {
  const dense = new Float32Array(userItems.nRows * userItems.nCols);
  for (let u = 0; u < userItems.nRows; u++) {
    for (let p = userItems.indptr[u] as number; p < (userItems.indptr[u + 1] as number); p++) {
      if ((userItems.values[p] as number) > 0)
        dense[u * userItems.nCols + (userItems.indices[p] as number)] = 1;
    }
  }
  return tf.tensor2d(dense, [userItems.nRows, userItems.nCols]);
}

/** One batch's 0/1 target rows built on the host (catalogues too large for dense targets on the backend). */
function batchTargets(
  userItems: CsrMatrix,
  order: Int32Array,
  activeUsers: number[],
  start: number,
  b: number,
): Tensor2D {
  const dense = new Float32Array(b * userItems.nCols);
  for (let q = 0; q < b; q++) {
    const u = activeUsers[order[start + q] as number] as number;
    for (let p = userItems.indptr[u] as number; p < (userItems.indptr[u + 1] as number); p++) {
      if ((userItems.values[p] as number) > 0)
        dense[q * userItems.nCols + (userItems.indices[p] as number)] = 1;
    }
  }
  return tf.tensor2d(dense, [b, userItems.nCols]);
}
