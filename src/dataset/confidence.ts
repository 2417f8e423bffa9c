import { ValidationError } from '../core/errors.js';
import { interactionsToCsr } from './csr.js';
import { keepRatingsAtLeast } from './interactions.js';
import type { Interactions, TrainingMatrix } from './types.js';

/**
 * Turning ratings into what a model trains on: a rating threshold (which interactions count) and a weighting
 * (what value each kept interaction carries).
 *
 * Weightings, with r the rating:
 * - `binary`: 1 for every kept interaction (the seed protocol: positives = rating >= 4, binary).
 * - `linear`: `alpha * r`, or `1 + alpha * r` with `plusOne` (Hu, Koren and Volinsky's confidence).
 * - `log`: `1 + alpha * log(1 + r / eps)` (their logarithmic variant, which damps large values).
 * - `rating`: r itself (explicit ALS).
 * Only `binary` works on implicit-only data (no ratings); the others are an error naming `weighting`.
 */

export type Weighting = 'binary' | 'linear' | 'log' | 'rating';
export const WEIGHTINGS: readonly Weighting[] = ['binary', 'linear', 'log', 'rating'];

export interface ConfidenceOptions {
  /** Default 'binary'. */
  weighting?: Weighting;
  /** Scale of `linear` and `log` (default 1). */
  alpha?: number;
  /** `log`'s rating scale (default 1). */
  eps?: number;
  /** `linear` gives `1 + alpha * r` instead of `alpha * r` (default false). */
  plusOne?: boolean;
  /** Keep only interactions rated >= threshold; 'none' (default) keeps all. */
  threshold?: number | 'none';
}

/**
 * Interactions after the threshold and the value of each, aligned with them.
 * @example const { interactions, values } = applyConfidence(train, { weighting: 'binary', threshold: 4 });
 *          const userItems = interactionsToCsr(interactions, values);
 */
export function applyConfidence(
  interactions: Interactions,
  options: ConfidenceOptions = {},
): { interactions: Interactions; values: Float32Array } {
  const threshold = options.threshold ?? 'none';
  if (threshold !== 'none' && !Number.isFinite(threshold)) {
    throw new ValidationError('threshold', `must be a number or 'none', got ${String(threshold)}`);
  }
  const kept = threshold === 'none' ? interactions : keepRatingsAtLeast(interactions, threshold);
  return { interactions: kept, values: confidenceValues(kept, options) };
}

/**
 * The value of each interaction under a weighting (no threshold applied).
 * @example const values = confidenceValues(train, { weighting: 'log', alpha: 2, eps: 1 });
 */
export function confidenceValues(interactions: Interactions, options: ConfidenceOptions = {}): Float32Array {
  const weighting = options.weighting ?? 'binary';
  const alpha = options.alpha ?? 1;
  const eps = options.eps ?? 1;
  if (!WEIGHTINGS.includes(weighting)) {
    throw new ValidationError(
      'weighting',
      `unknown weighting '${String(weighting)}'; use ${WEIGHTINGS.join(', ')}`,
    );
  }
  if (!(Number.isFinite(alpha) && alpha > 0)) throw new ValidationError('alpha', `must be > 0, got ${alpha}`);
  if (!(Number.isFinite(eps) && eps > 0)) throw new ValidationError('eps', `must be > 0, got ${eps}`);
  const n = interactions.user.length;
  if (weighting === 'binary') return new Float32Array(n).fill(1);
  const rating = interactions.rating;
  if (!rating) {
    throw new ValidationError(
      'weighting',
      `'${weighting}' needs ratings, but these interactions are implicit-only; use 'binary'`,
    );
  }
  const out = new Float32Array(n);
  if (weighting === 'rating') {
    out.set(rating);
  } else if (weighting === 'linear') {
    const offset = options.plusOne ? 1 : 0;
    for (let k = 0; k < n; k++) out[k] = offset + alpha * (rating[k] as number);
  } else {
    for (let k = 0; k < n; k++) out[k] = 1 + alpha * Math.log(1 + (rating[k] as number) / eps);
  }
  return out;
}

/**
 * The matrix a model trains on: threshold, weighting, then CSR (user -> items, items ascending).
 * @example const train = trainingMatrix(split.train, { weighting: 'binary', threshold: 4 }); await als.fit(train);
 */
export function trainingMatrix(interactions: Interactions, options: ConfidenceOptions = {}): TrainingMatrix {
  const { interactions: kept, values } = applyConfidence(interactions, options);
  return { userItems: interactionsToCsr(kept, values), users: kept.users, items: kept.items };
}
