import { popularityFactory } from '../../src/models/popularity.js';
import { popularityFixture } from './fixtures.js';
import { describeRecommenderConformance } from './recommender.js';

describeRecommenderConformance({ factory: popularityFactory, fixture: () => popularityFixture() });
