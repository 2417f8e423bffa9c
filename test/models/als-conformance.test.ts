/**
 * ALS through the shared conformance suite (test/conformance/recommender.ts), in both solver modes and with
 * the training split over two worker threads. Three factors, one per checkerboard group: with more, ALS can
 * fit each user's withheld item as the zero it is in training, and it then ties with other groups' items.
 */
import { alsFactory } from '../../src/models/als.js';
import { checkerboardFixture } from '../conformance/fixtures.js';
import { describeRecommenderConformance } from '../conformance/recommender.js';

describeRecommenderConformance({
  factory: alsFactory,
  hyperparameters: { factors: 3, iterations: 10, seed: 1 },
  fixture: () => checkerboardFixture(),
});
describeRecommenderConformance({
  factory: alsFactory,
  hyperparameters: { factors: 3, iterations: 6, solver: 'cholesky', alpha: 4, workers: 2 },
  fixture: () => checkerboardFixture(),
});
