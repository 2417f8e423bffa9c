import { confidenceValues } from '../dataset/confidence.js';
import { encoderFromSortedUnique } from '../dataset/encoder.js';
import type { CsrMatrix, IdEncoder } from '../dataset/types.js';
import type { UserHistory } from '../models/types.js';
import type { HistoryPolicy, RatingValue } from './ports.js';

/**
 * Turning a user's ratings as the database holds them now into what a model takes: the positives with the
 * values training gave them (fold-in input), and every rated movie (never recommended again).
 */

/** The seed protocol's policy (positives = rating >= 4, binary), for artifacts that do not record theirs. */
export const DEFAULT_HISTORY_POLICY: HistoryPolicy = {
  threshold: 4,
  weighting: 'binary',
  alpha: 1,
  eps: 1,
  plusOne: false,
};

const WEIGHTINGS = ['binary', 'linear', 'log', 'rating'] as const;

/**
 * Reads the policy from an artifact's `training` record (keys `threshold`, `weighting`, `alpha`, `eps`,
 * `plusOne`), falling back field by field to DEFAULT_HISTORY_POLICY.
 * @example historyPolicyFrom({ threshold: 'none', weighting: 'linear', alpha: 2 })
 */
export function historyPolicyFrom(training: Record<string, unknown> | null | undefined): HistoryPolicy {
  const t = training ?? {};
  const weighting = WEIGHTINGS.find((w) => w === t.weighting) ?? DEFAULT_HISTORY_POLICY.weighting;
  const threshold =
    t.threshold === 'none'
      ? 'none'
      : typeof t.threshold === 'number'
        ? t.threshold
        : DEFAULT_HISTORY_POLICY.threshold;
  const number = (v: unknown, fallback: number) => (typeof v === 'number' && v > 0 ? v : fallback);
  return {
    threshold,
    weighting,
    alpha: number(t.alpha, DEFAULT_HISTORY_POLICY.alpha),
    eps: number(t.eps, DEFAULT_HISTORY_POLICY.eps),
    plusOne: t.plusOne === true,
  };
}

/**
 * Whether a rating counts as a positive under the policy: at or above its threshold, every rating when it
 * has none, and implicit rows (no rating) always, as they were in training.
 * @example isPositive(3.5, DEFAULT_HISTORY_POLICY) // false
 */
export function isPositive(rating: number | null, policy: HistoryPolicy): boolean {
  return rating === null || policy.threshold === 'none' || rating >= policy.threshold;
}

/** The raw ids of the positives among `ratings` (also movies the model does not know). */
export function likedMovies(ratings: readonly RatingValue[], policy: HistoryPolicy): number[] {
  return ratings.filter((r) => isPositive(r.rating, policy)).map((r) => r.movieId);
}

/** A user's ratings mapped onto a model's items. */
export interface PreparedHistory {
  /** Raw ids of every movie the user rated (also the ones the model does not know). */
  rated: ReadonlySet<number>;
  /** Dense indices of the rated movies the model knows, ascending. */
  ratedDense: Int32Array;
  /** The positives with training's values, or null when none is left (cold user: popularity). */
  positives: UserHistory | null;
}

/**
 * @example const history = prepareHistory((await data.historyOf(1)) ?? [], model.items, policy);
 */
export function prepareHistory(
  ratings: readonly RatingValue[],
  items: IdEncoder,
  policy: HistoryPolicy,
): PreparedHistory {
  const rated = new Set<number>();
  const known: { item: number; rating: number | null }[] = [];
  for (const r of ratings) {
    rated.add(r.movieId);
    const item = items.toDense(r.movieId);
    if (item >= 0) known.push({ item, rating: r.rating });
  }
  known.sort((a, b) => a.item - b.item);
  const ratedDense = Int32Array.from(known, (k) => k.item);
  const kept = known.filter((k) => isPositive(k.rating, policy));
  if (kept.length === 0) return { rated, ratedDense, positives: null };
  const itemsOut = Int32Array.from(kept, (k) => k.item);
  const hasAllRatings = kept.every((k) => k.rating !== null);
  const weighting = hasAllRatings ? policy.weighting : 'binary';
  const values = confidenceValues(
    {
      users: encoderFromSortedUnique(Int32Array.of(0)),
      items,
      user: new Int32Array(kept.length),
      item: itemsOut,
      rating: hasAllRatings ? Float32Array.from(kept, (k) => k.rating as number) : null,
      timestamp: null,
    },
    { weighting, alpha: policy.alpha, eps: policy.eps, plusOne: policy.plusOne },
  );
  return { rated, ratedDense, positives: { items: itemsOut, values } };
}

/** True when `user`'s row of the artifact's `seen` matrix holds exactly `ratedDense` (both ascending). */
export function sameAsTraining(seen: CsrMatrix, user: number, ratedDense: Int32Array): boolean {
  const start = seen.indptr[user] as number;
  const end = seen.indptr[user + 1] as number;
  if (end - start !== ratedDense.length) return false;
  for (let p = start; p < end; p++) if (seen.indices[p] !== ratedDense[p - start]) return false;
  return true;
}
