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
