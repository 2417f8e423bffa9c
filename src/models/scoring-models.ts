/**
 * The stock TF.js Layers graphs models export as artifacts (`Recommender.scoringModel()`): built from
 * standard layers only (Embedding, Flatten, Dense), so `tf.loadLayersModel` opens them in Node or a browser
 * with no custom objects, and `predict` answers one score per item. Weights are set from the model's arrays;
 * the caller disposes the returned model.
 */
import { tf, type Tensor } from '../tf/tf.js';
import { tfl, type LayersModel } from '../tf/layers.js';
import type { ScoringModel } from './types.js';

/** Sets a layer's weights from tensors made here, then frees them (setWeights copies into its variables). */
function setWeights(model: LayersModel, layerName: string, make: () => Tensor[]): void {
  const values = make();
  try {
    model.getLayer(layerName).setWeights(values);
  } finally {
    tf.dispose(values);
  }
}

/**
 * Factor models (ALS, matrix factorization): user index -> Embedding(users, f) -> Dense(items) whose kernel
 * is the item factors transposed (and whose bias, where given, the item biases). predict([[u]]) gives
 * userFactors[u] . itemFactors[i] (+ itemBias[i]) for every item i.
 * @example const { model } = factorScoringModel(userFactors, itemFactors, nUsers, nItems, 64);
 */
export function factorScoringModel(
  userFactors: Float32Array,
  itemFactors: Float32Array,
  shape: { users: number; items: number; factors: number },
  itemBias?: Float32Array,
): ScoringModel {
  const { users, items, factors } = shape;
  const model = tfl.sequential({
    name: 'recsys_factor_scores',
    layers: [
      tfl.layers.embedding({
        name: 'user_factors',
        inputDim: Math.max(users, 1),
        outputDim: factors,
        inputLength: 1,
        embeddingsInitializer: 'zeros',
        inputShape: [1],
      }),
      tfl.layers.flatten({ name: 'user_vector' }),
      tfl.layers.dense({
        name: 'item_scores',
        units: items,
        useBias: itemBias !== undefined,
        kernelInitializer: 'zeros',
        biasInitializer: 'zeros',
      }),
    ],
  });
  setWeights(model, 'user_factors', () => [tf.tensor2d(userFactors, [users, factors])]);
  setWeights(model, 'item_scores', () => {
    const kernel = tf.tidy(() => tf.transpose(tf.tensor2d(itemFactors, [items, factors])));
    return itemBias ? [kernel, tf.tensor1d(itemBias)] : [kernel];
  });
  return { model, input: 'user' };
}

/**
 * Item-item models (item-kNN, EASE): multi-hot history [batch, items] -> Dense(items) whose kernel is the
 * item x item weight matrix, row = history item, column = scored item. predict(history) gives
 * sum over liked items i of weights[i, j] for every item j.
 * @example const { model } = itemItemScoringModel(denseSimilarity, nItems);
 */
export function itemItemScoringModel(weights: Float32Array, items: number): ScoringModel {
  const model = tfl.sequential({
    name: 'recsys_item_item_scores',
    layers: [
      tfl.layers.dense({
        name: 'item_scores',
        units: items,
        inputShape: [items],
        useBias: false,
        kernelInitializer: 'zeros',
      }),
    ],
  });
  setWeights(model, 'item_scores', () => [tf.tensor2d(weights, [items, items])]);
  return { model, input: 'history' };
}

/**
 * The seed's NeuralMF (neural model, `neumf`): `[user index, item index]` -> one score per pair, from a GMF
 * branch (product of the two GMF embeddings) and an MLP head (concatenated MLP embeddings -> dense relu ->
 * dropout), joined by a dense unit. To rank the catalogue for a user, feed their index beside every item.
 * @example const { model } = neumfScoringModel(weights, { users, items, factors: 64, hidden: 128, dropout: 0.1 });
 */
export function neumfScoringModel(
  weights: Record<
    | 'userEmbedding'
    | 'itemEmbedding'
    | 'userMlp'
    | 'itemMlp'
    | 'hiddenKernel'
    | 'hiddenBias'
    | 'outputKernel'
    | 'outputBias',
    Float32Array
  >,
  shape: { users: number; items: number; factors: number; hidden: number; dropout: number },
): ScoringModel {
  const { users, items, factors, hidden } = shape;
  const userIn = tfl.input({ shape: [1], name: 'user' });
  const itemIn = tfl.input({ shape: [1], name: 'item' });
  const embed = (name: string, rows: number, input: ReturnType<typeof tfl.input>) =>
    tfl.layers.flatten({ name: `${name}_vector` }).apply(
      tfl.layers
        .embedding({
          name,
          inputDim: Math.max(rows, 1),
          outputDim: factors,
          inputLength: 1,
          embeddingsInitializer: 'zeros',
        })
        .apply(input),
    ) as ReturnType<typeof tfl.input>;
  const gmf = tfl.layers
    .multiply({ name: 'gmf' })
    .apply([embed('user_gmf', users, userIn), embed('item_gmf', items, itemIn)]);
  const mlpInput = tfl.layers
    .concatenate({ name: 'mlp_input' })
    .apply([embed('user_mlp', users, userIn), embed('item_mlp', items, itemIn)]);
  const hiddenOut = tfl.layers
    .dense({ name: 'mlp_hidden', units: hidden, activation: 'relu' })
    .apply(mlpInput);
  const dropped = tfl.layers.dropout({ name: 'mlp_dropout', rate: shape.dropout }).apply(hiddenOut);
  const joined = tfl.layers
    .concatenate({ name: 'joined' })
    .apply([gmf as ReturnType<typeof tfl.input>, dropped as ReturnType<typeof tfl.input>]);
  const score = tfl.layers.dense({ name: 'score', units: 1 }).apply(joined) as ReturnType<typeof tfl.input>;
  const model = tfl.model({ name: 'recsys_neumf_scores', inputs: [userIn, itemIn], outputs: score });
  setWeights(model, 'user_gmf', () => [tf.tensor2d(weights.userEmbedding, [users, factors])]);
  setWeights(model, 'item_gmf', () => [tf.tensor2d(weights.itemEmbedding, [items, factors])]);
  setWeights(model, 'user_mlp', () => [tf.tensor2d(weights.userMlp, [users, factors])]);
  setWeights(model, 'item_mlp', () => [tf.tensor2d(weights.itemMlp, [items, factors])]);
  setWeights(model, 'mlp_hidden', () => [
    tf.tensor2d(weights.hiddenKernel, [2 * factors, hidden]),
    tf.tensor1d(weights.hiddenBias),
  ]);
  setWeights(model, 'score', () => [
    tf.tensor2d(weights.outputKernel, [factors + hidden, 1]),
    tf.tensor1d(weights.outputBias),
  ]);
  return { model, input: 'user-item' };
}

/**
 * Non-personalized models (popularity): any user index -> the same scores, as the bias of a Dense layer
 * whose kernel is zero.
 * @example const { model } = constantScoringModel(counts);
 */
export function constantScoringModel(scores: Float32Array): ScoringModel {
  const model = tfl.sequential({
    name: 'recsys_constant_scores',
    layers: [
      tfl.layers.dense({
        name: 'item_scores',
        units: scores.length,
        inputShape: [1],
        kernelInitializer: 'zeros',
        biasInitializer: 'zeros',
      }),
    ],
  });
  setWeights(model, 'item_scores', () => [tf.zeros([1, scores.length]), tf.tensor1d(scores)]);
  return { model, input: 'user' };
}
