/**
 * The neural model's weights as tf variables and its scoring functions, shared by training (pairs and whole
 * user rows, differentiable) and serving (whole rows, block by block). Two architectures:
 * - `mf`: score(u, i) = userEmbedding[u] . itemEmbedding[i] + itemBias[i];
 * - `neumf`: score(u, i) = gmfOutput . (userGmf[u] * itemGmf[i])
 *                        + mlpOutput . dropout(relu([userMlp[u], itemMlp[i]] hiddenKernel + hiddenBias))
 *                        + outputBias,
 *   where the GMF branch reuses userEmbedding / itemEmbedding, and the output kernel is split into its GMF and
 *   MLP parts. The first MLP layer over the concatenation equals userMlp[u] W_u + itemMlp[i] W_i with W split
 *   by rows, which is how whole rows are scored without materialising every (user, item) pair's input.
 */
import { createRng } from '../core/rng.js';
import { lookupRows, pairDot } from '../tf/embedding.js';
import { tf, type Tensor, type Tensor1D, type Tensor2D } from '../tf/tf.js';
import type { NeuralHyperparameters } from './neural-hyperparameters.js';

/** Host copies of every weight, row-major: what the state stores and the scoring Layers model is built from. */
export type NeuralWeights = Record<NeuralWeightName, Float32Array>;

export const MF_WEIGHTS = ['userEmbedding', 'itemEmbedding', 'itemBias'] as const;
export const NEUMF_WEIGHTS = [
  'userEmbedding',
  'itemEmbedding',
  'userMlp',
  'itemMlp',
  'hiddenKernel',
  'hiddenBias',
  'outputKernel',
  'outputBias',
] as const;
export type NeuralWeightName = (typeof MF_WEIGHTS)[number] | (typeof NEUMF_WEIGHTS)[number];

/** The shape of each weight of an architecture. */
export function weightShapes(
  h: Pick<NeuralHyperparameters, 'architecture' | 'factors' | 'hidden'>,
  users: number,
  items: number,
): Partial<Record<NeuralWeightName, number[]>> {
  const f = h.factors;
  if (h.architecture === 'mf') {
    return { userEmbedding: [users, f], itemEmbedding: [items, f], itemBias: [items] };
  }
  return {
    userEmbedding: [users, f],
    itemEmbedding: [items, f],
    userMlp: [users, f],
    itemMlp: [items, f],
    hiddenKernel: [2 * f, h.hidden],
    hiddenBias: [h.hidden],
    outputKernel: [f + h.hidden, 1],
    outputBias: [1],
  };
}

/**
 * Seeded initial weights: embeddings N(0, 0.05^2)-ish, Glorot-scaled dense kernels, zero biases.
 * @example const weights = initialWeights(h, users.size, items.size);
 */
export function initialWeights(h: NeuralHyperparameters, users: number, items: number): NeuralWeights {
  const rng = createRng(h.seed);
  const out: Partial<NeuralWeights> = {};
  for (const [name, shape] of Object.entries(weightShapes(h, users, items))) {
    const size = shape.reduce((a, b) => a * b, 1);
    const isBias = name.endsWith('Bias');
    const scale = name.endsWith('Kernel')
      ? Math.sqrt(2 / ((shape[0] as number) + (shape[1] as number)))
      : 0.05;
    out[name as NeuralWeightName] = Float32Array.from({ length: size }, () =>
      isBias ? 0 : rng.normal() * scale,
    );
  }
  return out as NeuralWeights;
}

/**
 * The weights as tf variables with the scoring functions over them. `dispose()` frees every variable.
 * @example const net = new NeuralNetwork(h, initialWeights(h, nUsers, nItems), nUsers, nItems);
 */
export class NeuralNetwork {
  readonly variables: Partial<Record<NeuralWeightName, tf.Variable>> = {};

  constructor(
    private readonly h: NeuralHyperparameters,
    weights: NeuralWeights,
    readonly users: number,
    readonly items: number,
    trainable = true,
  ) {
    for (const [name, shape] of Object.entries(weightShapes(h, users, items))) {
      const data = weights[name as NeuralWeightName];
      const initial = tf.tensor(data, shape);
      this.variables[name as NeuralWeightName] = tf.variable(initial, trainable);
      initial.dispose();
    }
  }

  private v(name: NeuralWeightName): tf.Variable {
    const variable = this.variables[name];
    if (!variable) throw new Error(`${this.h.architecture} has no weight ${name}`);
    return variable;
  }

  /** Every variable, for the optimizer. */
  trainableList(): tf.Variable[] {
    return Object.values(this.variables).filter((v): v is tf.Variable => v !== undefined);
  }

  /**
   * Every item's score for each of `users` (dense indices, int32), [users, items]; differentiable (the
   * softmax loss trains through it). For neumf, callers keep `users` small: it builds [users, items, hidden].
   */
  userScores(users: Tensor1D): Tensor2D {
    const userVectors = lookupRows(this.v('userEmbedding') as Tensor2D, users) as Tensor2D;
    if (this.h.architecture === 'mf') {
      const itemT = tf.transpose(this.v('itemEmbedding')) as Tensor2D;
      return tf.add(tf.matMul(userVectors, itemT), this.v('itemBias')) as Tensor2D;
    }
    const userMlp = lookupRows(this.v('userMlp') as Tensor2D, users) as Tensor2D;
    return neumfRows(this.h, userVectors, userMlp, this.dense());
  }

  /** The neumf weights every row score needs, as new tensors the caller disposes. */
  dense(): NeumfDense {
    const f = this.h.factors;
    const kernel = this.v('hiddenKernel') as Tensor2D;
    const output = this.v('outputKernel') as Tensor2D;
    return {
      itemT: tf.transpose(this.v('itemEmbedding')) as Tensor2D,
      itemHidden: tf.matMul(this.v('itemMlp') as Tensor2D, tf.slice(kernel, [f, 0], [f, this.h.hidden])),
      userKernel: tf.slice(kernel, [0, 0], [f, this.h.hidden]) as Tensor2D,
      // Copies, so callers own (and free) every tensor of the result, never a variable.
      hiddenBias: tf.clone(this.v('hiddenBias')) as Tensor1D,
      gmfOutput: tf.reshape(tf.slice(output, [0, 0], [f, 1]), [-1]) as Tensor1D,
      mlpOutput: tf.reshape(tf.slice(output, [f, 0], [this.h.hidden, 1]), [-1]) as Tensor1D,
      outputBias: tf.clone(this.v('outputBias')) as Tensor1D,
    };
  }

  /** Host copies of every weight. */
  async weights(): Promise<NeuralWeights> {
    const out: Partial<NeuralWeights> = {};
    for (const [name, variable] of Object.entries(this.variables)) {
      out[name as NeuralWeightName] = (await variable!.data()).slice() as Float32Array;
    }
    return out as NeuralWeights;
  }

  dispose(): void {
    tf.dispose(this.trainableList());
  }
}

/** What neumf's row scoring needs beside the users' vectors. */
export interface NeumfDense {
  /** [f, items]: GMF item embeddings, pre-transposed. */
  itemT: Tensor2D;
  /** [items, hidden]: itemMlp x the item half of the hidden kernel. */
  itemHidden: Tensor2D;
  /** [f, hidden]: the user half of the hidden kernel. */
  userKernel: Tensor2D;
  hiddenBias: Tensor1D;
  gmfOutput: Tensor1D;
  mlpOutput: Tensor1D;
  outputBias: Tensor1D;
}

/**
 * neumf scores of whole rows: [users, items] from the users' GMF and MLP vectors ([users, f] each).
 * @example const scores = neumfRows(h, userGmf, userMlp, dense);
 */
export function neumfRows(
  h: Pick<NeuralHyperparameters, 'hidden'>,
  userGmf: Tensor2D,
  userMlp: Tensor2D,
  dense: NeumfDense,
): Tensor2D {
  const [nUsers] = userGmf.shape;
  const nItems = dense.itemHidden.shape[0];
  const gmf = tf.matMul(tf.mul(userGmf, dense.gmfOutput), dense.itemT);
  const userHidden = tf.add(tf.matMul(userMlp, dense.userKernel), dense.hiddenBias);
  const hidden = tf.relu(
    tf.add(
      tf.reshape(userHidden, [nUsers, 1, h.hidden]),
      tf.reshape(dense.itemHidden, [1, nItems, h.hidden]),
    ),
  );
  const mlp = tf.reshape(
    tf.matMul(tf.reshape(hidden, [nUsers * nItems, h.hidden]), tf.reshape(dense.mlpOutput, [-1, 1])),
    [nUsers, nItems],
  );
  return tf.add(tf.add(gmf, mlp), dense.outputBias) as Tensor2D;
}

/** The tensors a sampled-loss step scores with, by weight name: gathered embedding rows, dense variables. */
export type StepWeights = Partial<Record<NeuralWeightName, Tensor>>;

/**
 * Scores of each user against k items, [b, k], for the sampled losses: `users` [b] and `items` [b, k] index
 * the rows in `w` (a batch's gathered rows, so gradients stay [rows, f]). Dropout applies when `training`.
 * The user's vectors are looked up once and broadcast over its k items.
 * @example const scores = sampledScores(h, { userEmbedding, itemEmbedding, itemBias }, users, items, null);
 */
export function sampledScores(
  h: Pick<NeuralHyperparameters, 'architecture' | 'factors' | 'hidden' | 'dropout'>,
  w: StepWeights,
  users: Tensor1D,
  items: Tensor2D,
  training: { seed: number } | null,
): Tensor2D {
  const [b, k] = items.shape;
  const f = h.factors;
  const get = (name: NeuralWeightName): Tensor => {
    const tensor = w[name];
    if (!tensor) throw new Error(`${h.architecture} step has no weight ${name}`);
    return tensor;
  };
  const flatItems = tf.reshape(items, [-1]);
  const userVectors = lookupRows(get('userEmbedding') as Tensor2D, users);
  const itemVectors = tf.reshape(lookupRows(get('itemEmbedding') as Tensor2D, flatItems), [b, k, f]);
  if (h.architecture === 'mf') {
    const bias = lookupRows(tf.reshape(get('itemBias'), [-1, 1]) as Tensor2D, flatItems);
    return tf.add(pairDot(userVectors, itemVectors), tf.reshape(bias, [b, k])) as Tensor2D;
  }
  // The first MLP layer over [userMlp, itemMlp] is userMlp W_u + itemMlp W_i: the user half once per user.
  const kernel = get('hiddenKernel') as Tensor2D;
  const output = get('outputKernel') as Tensor2D;
  const userHidden = tf.add(
    tf.matMul(
      lookupRows(get('userMlp') as Tensor2D, users) as Tensor2D,
      tf.slice(kernel, [0, 0], [f, h.hidden]),
    ),
    get('hiddenBias'),
  );
  const itemHidden = tf.matMul(
    lookupRows(get('itemMlp') as Tensor2D, flatItems) as Tensor2D,
    tf.slice(kernel, [f, 0], [f, h.hidden]),
  );
  const hidden = tf.reshape(
    tf.relu(tf.add(tf.reshape(itemHidden, [b, k, h.hidden]), tf.reshape(userHidden, [b, 1, h.hidden]))),
    [b * k, h.hidden],
  ) as Tensor2D;
  const dropped =
    training && h.dropout > 0
      ? (tf.dropout(hidden, h.dropout, undefined, training.seed) as Tensor2D)
      : hidden;
  const gmf = tf.reshape(tf.mul(tf.reshape(userVectors, [b, 1, f]), itemVectors), [b * k, f]) as Tensor2D;
  const scores = tf.add(
    tf.add(
      tf.matMul(gmf, tf.slice(output, [0, 0], [f, 1])),
      tf.matMul(dropped, tf.slice(output, [f, 0], [h.hidden, 1])),
    ),
    get('outputBias'),
  );
  return tf.reshape(scores, [b, k]) as Tensor2D;
}
