/**
 * The neural embedding model (the seed's PyTorch NeuralMF experiment, on TF.js): user and item embeddings
 * trained with Adam on implicit positives, as a matrix factorization (dot product + item bias) or the seed's
 * NeuralMF (a GMF branch beside an MLP head). Losses: multinomial softmax over the catalogue, BCE with sampled
 * negatives, or BPR. Training lives in neural-train.ts, the weights and scoring in neural-network.ts.
 */
import { ArtifactIntegrityError, ValidationError } from '../core/errors.js';
import { emptyTopK, type TopK } from '../core/types.js';
import { buildCsr } from '../dataset/csr.js';
import type { CsrMatrix, IdEncoder } from '../dataset/types.js';
import { gatherRows } from '../tf/rows.js';
import { tf, tidyObject, type Tensor1D, type Tensor2D } from '../tf/tf.js';
import { scoreTopK, topKExcluding, type Exclusion } from '../tf/topk.js';
import { defineModel, RecommenderBase, type FittedCore } from './base.js';
import { historyMatrix } from './history.js';
import { neuralSchema, type NeuralHyperparameters } from './neural-hyperparameters.js';
import {
  neumfRows,
  NeuralNetwork,
  weightShapes,
  type NeuralWeightName,
  type NeuralWeights,
} from './neural-network.js';
import { foldInUsers } from './neural-fold-in.js';
import { trainNeural } from './neural-train.js';
import { checkIndices, checkK } from './ranking.js';
import { factorScoringModel, neumfScoringModel } from './scoring-models.js';
import { arrayOf, csrFromState, csrToState } from './state.js';
import type {
  FitOptions,
  FitReport,
  FoldIn,
  ModelState,
  RecommendOptions,
  ScoringModel,
  TrainingMatrix,
  UserHistory,
} from './types.js';

export type { NeuralHyperparameters };

const FORMAT_VERSION = 1;
/** Users scored per block by neumf (it builds [users, items, hidden]). */
const NEUMF_BLOCK_CELLS = 8 * 1024 * 1024;

interface Fitted extends FittedCore {
  userItems: CsrMatrix;
  weights: NeuralWeights;
  /** Frozen weights on the backend (not trainable) for scoring and fold-in. */
  net: NeuralNetwork;
  /** mf: [users, f + 1] user vectors with a 1 appended, and [f + 1, items] item vectors over their bias. */
  userQueries: Tensor2D | null;
  itemKeysT: Tensor2D | null;
  /** [f', items]: unit item vectors (cosine similarity). */
  itemUnitT: Tensor2D;
}

/**
 * The neural embedding recommender.
 * @example const model = neuralFactory.create({ loss: 'bce', negatives: 4 }); await model.fit(train);
 */
export class NeuralModel extends RecommenderBase<NeuralHyperparameters, Fitted> implements FoldIn {
  readonly kind = 'neural' as const;

  constructor(hyperparameters: NeuralHyperparameters) {
    super(hyperparameters);
    if (hyperparameters.architecture === 'neumf' && hyperparameters.loss === 'softmax') {
      throw new ValidationError(
        'neural.loss',
        "softmax scores every item per step; use 'bce' or 'bpr' with neumf",
      );
    }
  }

  async fit(train: TrainingMatrix, options: FitOptions = {}): Promise<FitReport & { bestEpoch: number }> {
    const started = performance.now();
    const { userItems, users, items } = train;
    if (userItems.nRows !== users.size || userItems.nCols !== items.size) {
      throw new ValidationError(
        'train',
        `matrix is ${userItems.nRows} x ${userItems.nCols} but the encoders differ`,
      );
    }
    if (userItems.indices.length === 0) throw new ValidationError('train', 'holds no interactions');
    const validate = options.validate;
    const evaluate = validate
      ? async (weights: NeuralWeights): Promise<number> => {
          this.setFitted(build(this.hyperparameters, users, items, userItems, weights));
          return validate();
        }
      : undefined;
    const result = await trainNeural(userItems, this.hyperparameters, options, evaluate);
    this.setFitted(build(this.hyperparameters, users, items, userItems, result.weights));
    return {
      seconds: (performance.now() - started) / 1000,
      epochs: result.epochs,
      bestEpoch: result.bestEpoch,
    };
  }

  async recommend(users: Int32Array, k: number, options: RecommendOptions = {}): Promise<TopK> {
    const fitted = this.need('recommend');
    checkK(k);
    checkIndices(users, fitted.userItems.nRows, 'user');
    const exclude: Exclusion[] = [];
    if (options.excludeSeen ?? true) exclude.push({ csr: fitted.userItems, rows: users });
    if (options.exclude) exclude.push({ csr: options.exclude });
    return this.rank(users, null, k, exclude);
  }

  async recommendForHistories(
    histories: readonly UserHistory[],
    k: number,
    options: { exclude?: CsrMatrix } = {},
  ): Promise<TopK> {
    const fitted = this.need('recommendForHistories');
    checkK(k);
    const matrix = historyMatrix(histories, fitted.items.size);
    const vectors = foldInUsers(this.hyperparameters, fitted.net, matrix);
    const exclude: Exclusion[] = [{ csr: matrix }];
    if (options.exclude) exclude.push({ csr: options.exclude });
    return this.rank(null, vectors, k, exclude);
  }

  /**
   * A new user's embedding (mf: [factors]; neumf: GMF then MLP vector, [2 x factors]): a few Adam steps on the
   * multinomial likelihood of their history with every item weight frozen, from zero (deterministic).
   */
  foldIn(history: UserHistory): Float32Array {
    const fitted = this.need('foldIn');
    return foldInUsers(this.hyperparameters, fitted.net, historyMatrix([history], fitted.items.size));
  }

  async similarItems(items: Int32Array, k: number): Promise<TopK> {
    const { itemUnitT } = this.need('similarItems');
    checkK(k);
    const nItems = itemUnitT.shape[1];
    checkIndices(items, nItems, 'item');
    const self = buildCsr(
      items.length,
      nItems,
      Int32Array.from(items, (_, q) => q),
      Int32Array.from(items),
    );
    const queries = tf.tidy(() => tf.transpose(tf.gather(itemUnitT, Array.from(items), 1)) as Tensor2D);
    try {
      return await scoreTopK(queries, itemUnitT, { k, exclude: { csr: self } });
    } finally {
      queries.dispose();
    }
  }

  getState(): ModelState {
    const { users, items, userItems, weights } = this.need('getState');
    const shapes = weightShapes(this.hyperparameters, users.size, items.size);
    const arrays: ModelState['arrays'] = { ...csrToState('userItems', userItems) };
    for (const [name, shape] of Object.entries(shapes)) {
      arrays[name] = { data: weights[name as NeuralWeightName], shape };
    }
    return {
      kind: this.kind,
      formatVersion: FORMAT_VERSION,
      hyperparameters: { ...this.hyperparameters },
      arrays,
    };
  }

  /** mf: user index -> user embedding -> dense over the item embeddings and biases; neumf: (user, item) -> score. */
  scoringModel(): ScoringModel {
    const { users, items, weights } = this.need('scoringModel');
    const h = this.hyperparameters;
    const shape = { users: users.size, items: items.size, factors: h.factors };
    if (h.architecture === 'mf') {
      return factorScoringModel(weights.userEmbedding, weights.itemEmbedding, shape, weights.itemBias);
    }
    return neumfScoringModel(weights, { ...shape, hidden: h.hidden, dropout: h.dropout });
  }

  /** Rebuilds a fitted model from `getState()` output (header and hyperparameters checked) and the encoders. */
  static fromState(
    h: NeuralHyperparameters,
    state: ModelState,
    encoders: { users: IdEncoder; items: IdEncoder },
  ): NeuralModel {
    const { users, items } = encoders;
    const weights: Partial<NeuralWeights> = {};
    for (const [name, shape] of Object.entries(weightShapes(h, users.size, items.size))) {
      const data = arrayOf(state, name, 'float32');
      const size = shape.reduce((a, b) => a * b, 1);
      if (data.length !== size) {
        throw new ArtifactIntegrityError(
          'neural state',
          `${name} holds ${data.length} values, expected ${shape.join(' x ')}`,
        );
      }
      if (!data.every(Number.isFinite))
        throw new ArtifactIntegrityError('neural state', `${name} holds non-finite values`);
      weights[name as NeuralWeightName] = data;
    }
    const userItems = csrFromState(state, 'userItems', users.size, items.size);
    const model = new NeuralModel(h);
    model.setFitted(build(h, users, items, userItems, weights as NeuralWeights));
    return model;
  }

  protected override release(fitted: Fitted): void {
    fitted.net.dispose();
    tf.dispose([
      fitted.itemUnitT,
      ...(fitted.userQueries ? [fitted.userQueries] : []),
      ...(fitted.itemKeysT ? [fitted.itemKeysT] : []),
    ]);
  }

  /** Top-k for dense users (`users`) or for given user vectors (`vectors`, fold-in), with exclusions. */
  private async rank(
    users: Int32Array | null,
    vectors: Float32Array | null,
    k: number,
    exclude: Exclusion[],
  ): Promise<TopK> {
    const fitted = this.need('recommend');
    const h = this.hyperparameters;
    const count = users
      ? users.length
      : (vectors as Float32Array).length / (h.architecture === 'mf' ? h.factors : 2 * h.factors);
    if (h.architecture === 'mf') {
      const queries = tf.tidy(() =>
        users
          ? gatherRows(fitted.userQueries!, users)
          : (tf.concat([tf.tensor2d(vectors!, [count, h.factors]), tf.ones([count, 1])], 1) as Tensor2D),
      );
      try {
        return await scoreTopK(queries, fitted.itemKeysT!, { k, exclude });
      } finally {
        queries.dispose();
      }
    }
    const out = emptyTopK(count, k);
    const block = Math.max(1, Math.floor(NEUMF_BLOCK_CELLS / (fitted.items.size * h.hidden)));
    const dense = tidyObject(() => fitted.net.dense());
    try {
      for (let q0 = 0; q0 < count; q0 += block) {
        const n = Math.min(block, count - q0);
        const scores = tf.tidy(() => {
          let gmf: Tensor2D;
          let mlp: Tensor2D;
          if (users) {
            const idx = tf.tensor2d(users.subarray(q0, q0 + n), [n, 1], 'int32');
            gmf = tf.gatherND(fitted.net.variables.userEmbedding!, idx) as Tensor2D;
            mlp = tf.gatherND(fitted.net.variables.userMlp!, idx) as Tensor2D;
          } else {
            const both = tf.tensor2d(vectors!.subarray(q0 * 2 * h.factors, (q0 + n) * 2 * h.factors), [
              n,
              2 * h.factors,
            ]);
            gmf = tf.slice(both, [0, 0], [n, h.factors]);
            mlp = tf.slice(both, [0, h.factors], [n, h.factors]);
          }
          return neumfRows(h, gmf, mlp, dense);
        });
        try {
          const top = await topKExcluding(scores, k, exclude, q0);
          out.ids.set(top.ids, q0 * k);
          out.scores.set(top.scores, q0 * k);
        } finally {
          scores.dispose();
        }
      }
    } finally {
      tf.dispose(Object.values(dense));
    }
    return out;
  }
}

function build(
  h: NeuralHyperparameters,
  users: IdEncoder,
  items: IdEncoder,
  userItems: CsrMatrix,
  weights: NeuralWeights,
): Fitted {
  const net = new NeuralNetwork(h, weights, users.size, items.size, false);
  const tensors = tidyObject(() => {
    const itemEmbedding = net.variables.itemEmbedding as unknown as Tensor2D;
    const itemVectors =
      h.architecture === 'mf'
        ? itemEmbedding
        : (tf.concat([itemEmbedding, net.variables.itemMlp as unknown as Tensor2D], 1) as Tensor2D);
    const itemT = tf.transpose(itemVectors) as Tensor2D;
    const norms = tf.maximum(tf.sqrt(tf.sum(tf.square(itemT), 0, true)), 1e-12);
    const itemUnitT = tf.div(itemT, norms) as Tensor2D;
    if (h.architecture !== 'mf') return { itemUnitT, userQueries: null, itemKeysT: null };
    const userQueries = tf.concat(
      [net.variables.userEmbedding as unknown as Tensor2D, tf.ones([users.size, 1])],
      1,
    ) as Tensor2D;
    const bias = tf.reshape(net.variables.itemBias as unknown as Tensor1D, [1, -1]);
    const itemKeysT = tf.concat([itemT, bias], 0) as Tensor2D;
    return { itemUnitT, userQueries, itemKeysT };
  });
  return { users, items, userItems, weights, net, ...tensors };
}

/**
 * The registry's entry for the neural model.
 * @example const model = neuralFactory.create({ architecture: 'neumf', loss: 'bce' });
 */
export const neuralFactory = defineModel({
  kind: 'neural',
  description:
    'embedding model trained with Adam (matrix factorization or the seed NeuralMF; softmax, BCE or BPR)',
  schema: neuralSchema,
  formatVersion: FORMAT_VERSION,
  create: (hyperparameters) => new NeuralModel(hyperparameters),
  restore: (hyperparameters, state, encoders) => NeuralModel.fromState(hyperparameters, state, encoders),
});
