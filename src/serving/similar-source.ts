/**
 * Which similar movies the service (and `recsys similar`) answers with, whatever model ranks users:
 * - `co-rating` (the default): support-aware co-rating cosine (src/models/co-rating.ts: shrinkage 20,
 *   minimum support 2) over the matrix the model was fit on (`Recommender.trainingMatrix`: the training
 *   positives, rating >= 4, for every model here). Measured with `recsys evaluate --task similar` on the three
 *   datasets (docs/benchmarks.md, "Similar movies"): at or above item-kNN's HR@10 everywhere, one-rating
 *   movies kept out of the lists. Co-ratings over every rating (the artifact's `seen`) were measured too and
 *   put the most-rated movies first (Toy Story -> Forrest Gump, Jurassic Park, Independence Day).
 * - `model`: the serving model's own `similarItems`.
 * A model without a training matrix falls back to its own.
 */
import type { TopK } from '../core/types.js';
import type { CsrMatrix } from '../dataset/types.js';
import { CoRatingIndex } from '../models/co-rating.js';
import type { Recommender } from '../models/types.js';

export const SIMILAR_SOURCES = ['co-rating', 'model'] as const;
export type SimilarSourceName = (typeof SIMILAR_SOURCES)[number];

/** One index per training matrix (per loaded model), built on the first similar-movies request. */
const indexes = new WeakMap<CsrMatrix, CoRatingIndex>();

/**
 * The similar-items function to answer with for a loaded model.
 * @example const top = await similarItemsOf(model, 'co-rating')(Int32Array.of(dense), 10);
 */
export function similarItemsOf(
  model: Recommender,
  source: SimilarSourceName,
): (items: Int32Array, k: number) => Promise<TopK> {
  const matrix = source === 'co-rating' ? (model.trainingMatrix ?? null) : null;
  if (!matrix) return (items, k) => model.similarItems(items, k);
  return async (items, k) => {
    let index = indexes.get(matrix);
    if (!index) indexes.set(matrix, (index = new CoRatingIndex(matrix)));
    return index.similarItems(items, k);
  };
}
