/**
 * The neural model's training steps shared by its losses (one epoch's loop, summing the loss on the backend)
 * and the sampled losses' trainer (bce, bpr): row-sparse steps over the distinct rows each batch touches,
 * with a lazy Adam on the embedding tables (src/tf/lazy-adam.ts).
 */
import { CancelledError } from '../core/errors.js';
import type { CsrMatrix } from '../dataset/types.js';
import { LazyAdam } from '../tf/lazy-adam.js';
import { tf, type Tensor } from '../tf/tf.js';
import type { NeuralHyperparameters } from './neural-hyperparameters.js';
import {
  sampledScores,
  type NeuralNetwork,
  type NeuralWeightName,
  type StepWeights,
} from './neural-network.js';
import { epochBatches, epochExamples, negativeSampler, positivePairs } from './neural-sampling.js';
import type { FitOptions } from './types.js';

/** One loss's epochs, and what it holds on the backend between them. */
export interface EpochTrainer {
  epoch(
    optimizer: tf.Optimizer,
    epoch: number,
    options: FitOptions,
  ): Promise<{ loss: number; examples: number }>;
  dispose(): void;
}

/** Lets timers, keys and aborts through every few steps (TF.js ops on WASM and CPU are synchronous). */
async function yieldEvery(stepIndex: number, signal: AbortSignal | undefined): Promise<void> {
  if (stepIndex % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
  if (signal?.aborted) throw new CancelledError('neural training');
}

/**
 * Runs the steps of one epoch: `step(index)` trains one batch and returns its loss (a scalar the caller no
 * longer holds); the losses are summed on the backend and read once at the end.
 */
export async function runSteps(
  steps: number,
  step: (index: number) => Tensor,
  signal: AbortSignal | undefined,
): Promise<number> {
  let total: Tensor = tf.scalar(0);
  try {
    for (let s = 0; s < steps; s++) {
      await yieldEvery(s, signal);
      const cost = step(s);
      const next = tf.add(total, cost);
      tf.dispose([total, cost]);
      total = next;
    }
    return ((await total.data())[0] as number) / Math.max(steps, 1);
  } finally {
    total.dispose();
  }
}

/** The embedding tables of an architecture, by which side's distinct rows a batch touches. */
const SPARSE_TABLES = {
  mf: { user: ['userEmbedding'], item: ['itemEmbedding', 'itemBias'] },
  neumf: { user: ['userEmbedding', 'userMlp'], item: ['itemEmbedding', 'itemMlp'] },
} as const satisfies Record<string, Record<'user' | 'item', readonly NeuralWeightName[]>>;
/** The tables whose looked-up rows carry the per-example L2 penalty (not the item bias). */
const PENALISED: ReadonlySet<NeuralWeightName> = new Set([
  'userEmbedding',
  'itemEmbedding',
  'userMlp',
  'itemMlp',
]);
const DENSE_HEAD = { mf: [], neumf: ['hiddenKernel', 'hiddenBias', 'outputKernel', 'outputBias'] } as const;

/**
 * bce / bpr: batches of positives, each against `negatives` sampled items. Each step gathers the distinct
 * user and item rows its batch touches, scores and differentiates against those rows only, and updates them
 * with a lazy (row-sparse) Adam; neumf's dense head takes the stock Adam. The epoch's examples and batch
 * structure are prepared on the host once (neural-sampling.ts); each step uploads its slice (no read back).
 */
export function sampledSteps(
  net: NeuralNetwork,
  userItems: CsrMatrix,
  h: NeuralHyperparameters,
): EpochTrainer {
  const positives = positivePairs(userItems);
  const sampler = negativeSampler(userItems, h.sampling);
  const n = h.negatives;
  const width = 1 + n;
  const lazy = new LazyAdam({ learningRate: h.learningRate });
  const tables = SPARSE_TABLES[h.architecture];
  const head: readonly NeuralWeightName[] = DENSE_HEAD[h.architecture];
  const variable = (name: NeuralWeightName): tf.Variable => {
    const v = net.variables[name];
    if (!v) throw new Error(`${h.architecture} has no weight ${name}`);
    return v;
  };
  // bce: softplus(-s) = -log sigmoid(s) for the positive (column 0), softplus(s) for the negatives.
  const signs = tf.tensor2d([[-1, ...Array.from({ length: n }, () => 1)]]);
  const epochRun: EpochTrainer['epoch'] = async (optimizer, epoch, options) => {
    const examples = epochExamples(positives, sampler, n, h.seed, epoch);
    const batches = epochBatches(examples, n, h.batchSize, userItems.nRows, userItems.nCols);
    const count = examples.users.length;
    const loss = await runSteps(
      batches.steps,
      (s) => {
        lazy.step();
        return tf.tidy(() => {
          const start = s * h.batchSize;
          const b = Math.min(h.batchSize, count - start);
          const side = (offsets: Int32Array, unique: Int32Array, counts: Float32Array) => {
            const from = offsets[s] as number;
            const to = offsets[s + 1] as number;
            return {
              indices: tf.tensor2d(unique.subarray(from, to), [to - from, 1], 'int32'),
              counts: tf.tensor2d(counts.subarray(from, to), [to - from, 1]),
            };
          };
          const rowsOf = {
            user: side(batches.userOffsets, batches.uniqueUsers, batches.userCounts),
            item: side(batches.itemOffsets, batches.uniqueItems, batches.itemCounts),
          };
          const users = tf.tensor1d(batches.localUsers.subarray(start, start + b), 'int32');
          const items = tf.tensor2d(
            batches.localItems.subarray(start * width, (start + b) * width),
            [b, width],
            'int32',
          );
          const sparse = (['user', 'item'] as const).flatMap((which) =>
            tables[which].map((name) => ({
              name,
              which,
              rows: tf.gatherND(variable(name), rowsOf[which].indices),
            })),
          );
          const names = [...sparse.map((t) => t.name), ...head];
          const inputs = [...sparse.map((t) => t.rows), ...head.map(variable)];
          const stepLoss = (...args: Tensor[]): Tensor => {
            const w: StepWeights = Object.fromEntries(names.map((name, j) => [name, args[j]]));
            const scores = sampledScores(h, w, users, items, { seed: h.seed + epoch * 100_003 + s });
            let penalty: Tensor = tf.scalar(0);
            for (const [j, t] of sparse.entries()) {
              if (!PENALISED.has(t.name)) continue;
              penalty = tf.add(penalty, tf.sum(tf.mul(tf.square(args[j] as Tensor), rowsOf[t.which].counts)));
            }
            penalty = tf.mul(penalty, h.l2 / b);
            if (h.loss === 'bce')
              return tf.add(tf.div(tf.sum(tf.softplus(tf.mul(scores, signs))), b * width), penalty);
            const positive = tf.slice(scores, [0, 0], [b, 1]);
            return tf.add(tf.mean(tf.softplus(tf.sub(tf.slice(scores, [0, 1], [b, n]), positive))), penalty);
          };
          const { value, grads } = tf.valueAndGrads(stepLoss)(inputs);
          for (const [j, t] of sparse.entries()) {
            lazy.update(variable(t.name), rowsOf[t.which].indices, grads[j] as Tensor, t.rows);
          }
          if (head.length > 0) {
            optimizer.applyGradients(
              Object.fromEntries(
                head.map((name, j) => [variable(name).name, grads[sparse.length + j] as Tensor]),
              ),
            );
          }
          return value;
        });
      },
      options.signal,
    );
    return { loss, examples: count * width };
  };
  return {
    epoch: epochRun,
    dispose: () => {
      lazy.dispose();
      signs.dispose();
    },
  };
}
