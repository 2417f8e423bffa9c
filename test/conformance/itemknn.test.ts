import { itemKnnFactory } from '../../src/models/itemknn.js';
import { checkerboardFixture } from './fixtures.js';
import { describeRecommenderConformance } from './recommender.js';

describeRecommenderConformance({ factory: itemKnnFactory, fixture: () => checkerboardFixture() });

// The weighted variants must pass the same cases; 5 neighbours is exactly the other items of a group, so the
// self-similarity must be the one dropped from the 6 candidates.
describeRecommenderConformance({
  factory: itemKnnFactory,
  hyperparameters: { weighting: 'bm25', neighbours: 5 },
  fixture: () => checkerboardFixture(),
});
describeRecommenderConformance({
  factory: itemKnnFactory,
  hyperparameters: { weighting: 'tfidf' },
  fixture: () => checkerboardFixture(),
});
