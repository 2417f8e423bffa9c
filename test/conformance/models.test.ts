/**
 * Every kind in the registry through the shared conformance suite (test/conformance/recommender.ts). A kind
 * added to the registry runs here with its defaults on the checkerboard fixture without another file;
 * `SETTINGS` only makes a fit faster or adds variants.
 */
import type { ModelKind } from '../../src/core/types.js';
import { getModelFactory, REGISTERED_KINDS } from '../../src/models/registry.js';
import type { HyperparameterValues } from '../../src/models/types.js';
import { checkerboardFixture, popularityFixture, type ConformanceFixture } from './fixtures.js';
import { describeRecommenderConformance } from './recommender.js';

interface Variant {
  hyperparameters?: HyperparameterValues;
  fixture?: () => ConformanceFixture;
}

const SETTINGS: Partial<Record<ModelKind, Variant[]>> = {
  // Three factors, one per checkerboard group: with more, ALS can fit each user's withheld item as the zero
  // it is in training, and it then ties with other groups' items.
  als: [
    { hyperparameters: { factors: 3, iterations: 10, seed: 1 } },
    { hyperparameters: { factors: 3, iterations: 6, solver: 'cholesky', alpha: 4, workers: 2 } },
  ],
  // The weighted variants must pass the same cases; 5 neighbours is exactly the other items of a group, so
  // the self-similarity must be the one dropped from the 6 candidates.
  itemknn: [
    {},
    { hyperparameters: { weighting: 'bm25', neighbours: 5 } },
    { hyperparameters: { weighting: 'tfidf' } },
  ],
  popularity: [{ fixture: () => popularityFixture() }],
  // Bigger steps than the defaults (tuned for MovieLens): the fixture has 24 users and 18 items.
  neural: [
    { hyperparameters: { factors: 8, epochs: 40, learningRate: 0.05, l2: 0 } },
    { hyperparameters: { loss: 'bpr', factors: 8, epochs: 30, learningRate: 0.05, batchSize: 32, l2: 0 } },
    {
      hyperparameters: {
        architecture: 'neumf',
        loss: 'bce',
        factors: 8,
        hidden: 16,
        epochs: 60,
        learningRate: 0.03,
        negatives: 12,
        dropout: 0,
        batchSize: 32,
        l2: 0,
      },
    },
  ],
};

for (const kind of REGISTERED_KINDS) {
  for (const variant of SETTINGS[kind] ?? [{}]) {
    describeRecommenderConformance({
      factory: getModelFactory(kind),
      hyperparameters: variant.hyperparameters ?? {},
      fixture: variant.fixture ?? (() => checkerboardFixture()),
    });
  }
}
