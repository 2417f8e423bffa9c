import { ValidationError } from '../core/errors.js';
import type { Catalog } from './catalog.js';
import type { PopularityRanking } from './popularity.js';
import type { RatingValue } from './ports.js';

/**
 * Recommendations for a visitor without an account, from a few liked movies ("picks") and optional genres
 * (issue 15.1). The same functions rank for `GET /recommendations`, `recsys recommend --like` and (rebuilt in
 * the page) the web page, so the three agree:
 *
 * 1. The picks become a history as if a new user had rated each one 5 stars (`picksHistory`), passed through
 *    the artifact's history policy and ranked by the model's fold-in (`recommendForHistories`), MAX_K deep.
 * 2. Genres give a content-based prior (`genrePrior`): the most popular movies having any of the genres.
 * 3. Both given: the two rankings are blended by reciprocal rank fusion (`blendRankings`, k = 60). Ranks, not
 *    scores, because fold-in scores have a different scale for every model (ALS dot products, item-kNN sums
 *    of similarities, EASE weights) and popularity is a count: ranks need no calibration, RRF is the usual
 *    fusion rule, has one constant and is deterministic (ties: better fold-in rank, then lower id).
 * 4. Picks never come back, movies outside the catalogue are dropped, a short list is topped up with
 *    popularity (picks excluded). Neither picks nor genres: the popularity list (what a new user gets).
 */

/** Most picks one request may name. */
export const MAX_PICKS = 50;
/** Reciprocal rank fusion's constant: score = sum over lists of 1 / (RRF_K + rank), ranks from 1. */
export const RRF_K = 60;
/** The rating each pick counts as. */
export const PICK_RATING = 5;

/**
 * The picks as a new user's ratings (5 stars each, in the order given, duplicates once).
 * @example picksHistory([1, 260]) // [{ movieId: 1, rating: 5 }, { movieId: 260, rating: 5 }]
 */
export function picksHistory(picks: readonly number[]): RatingValue[] {
  return [...new Set(picks)].map((movieId) => ({ movieId, rating: PICK_RATING }));
}

/**
 * Checks picks against the catalogue: ValidationError('movies') for more than MAX_PICKS or for ids the
 * catalogue does not hold (all of them named).
 * @example checkPicks([1, 260], catalog)
 */
export function checkPicks(picks: readonly number[], catalog: Pick<Catalog, 'has'>): number[] {
  const unique = [...new Set(picks)];
  if (unique.length > MAX_PICKS) {
    throw new ValidationError('movies', `at most ${MAX_PICKS} movies, got ${unique.length}`);
  }
  const unknown = unique.filter((id) => !catalog.has(id));
  if (unknown.length > 0) throw new ValidationError('movies', `unknown movie ids: ${unknown.join(', ')}`);
  return unique;
}

/**
 * Checks genre names against the catalogue's (case-sensitive, MovieLens spelling): ValidationError naming
 * `field` and listing the valid names.
 * @example checkGenres(['Comedy'], catalog)
 */
export function checkGenres(
  genres: readonly string[],
  catalog: Pick<Catalog, 'genreCounts'>,
  field = 'genres',
): string[] {
  const valid = catalog.genreCounts();
  const unique = [...new Set(genres)];
  const unknown = unique.filter((g) => !valid.has(g));
  if (unknown.length > 0) {
    throw new ValidationError(
      field,
      `unknown genre ${unknown.map((g) => JSON.stringify(g)).join(', ')}; valid: ${[...valid.keys()].join(', ')}`,
    );
  }
  return unique;
}

/**
 * The genre prior: the `depth` most popular movies (popularity order, ties to the lower id) having any of
 * `genres`, leaving out `exclude` and movies outside the catalogue.
 * @example genrePrior(['Comedy'], 100, new Set([1]), popularity, catalog)
 */
export function genrePrior(
  genres: readonly string[],
  depth: number,
  exclude: ReadonlySet<number>,
  popularity: PopularityRanking,
  catalog: Pick<Catalog, 'has' | 'genresOf'>,
): number[] {
  const wanted = new Set(genres);
  const out: number[] = [];
  // Popularity's order is every movie with a positive; walk it in chunks until `depth` match.
  for (let n = depth * 4; ; n *= 4) {
    const ranked = popularity.top(n, exclude);
    out.length = 0;
    for (const id of ranked) {
      if (out.length >= depth) break;
      if (catalog.has(id) && catalog.genresOf(id).some((g) => wanted.has(g))) out.push(id);
    }
    if (out.length >= depth || ranked.length < n) return out;
  }
}

/**
 * Reciprocal rank fusion of two rankings: score(m) = 1/(RRF_K + rank in a) + 1/(RRF_K + rank in b), ranks
 * from 1, a list without m adds nothing; best `depth` first, ties to the better rank in `a`, then lower id.
 * @example blendRankings([5, 6, 7], [7, 8], 3) // [7, 5, 6]
 */
export function blendRankings(a: readonly number[], b: readonly number[], depth: number): number[] {
  const score = new Map<number, number>();
  const rankInA = new Map<number, number>();
  a.forEach((id, i) => {
    if (!rankInA.has(id)) {
      rankInA.set(id, i);
      score.set(id, 1 / (RRF_K + i + 1));
    }
  });
  const seenInB = new Set<number>();
  b.forEach((id, i) => {
    if (seenInB.has(id)) return;
    seenInB.add(id);
    score.set(id, (score.get(id) ?? 0) + 1 / (RRF_K + i + 1));
  });
  const worst = Number.MAX_SAFE_INTEGER;
  return [...score.entries()]
    .sort((x, y) => y[1] - x[1] || (rankInA.get(x[0]) ?? worst) - (rankInA.get(y[0]) ?? worst) || x[0] - y[0])
    .slice(0, depth)
    .map(([id]) => id);
}

export interface RankPicksInput {
  /** The model's fold-in ranking of the picks as raw ids, best first (empty when it had nothing to fold in). */
  foldIn: readonly number[];
  picks: readonly number[];
  genres: readonly string[];
  depth: number;
  popularity: PopularityRanking;
  catalog: Pick<Catalog, 'has' | 'genresOf'>;
}

/**
 * Steps 2-4 above: the visitor's ranking (raw ids, `depth` deep) from the fold-in ranking, the genres and
 * popularity. With no genres it is exactly the fold-in ranking (catalogue movies, picks left out) topped up
 * with popularity.
 * @example rankPicks({ foldIn, picks: [1, 260], genres: ['Comedy'], depth: 100, popularity, catalog })
 */
export function rankPicks(input: RankPicksInput): number[] {
  const { picks, genres, depth, popularity, catalog } = input;
  const taken = new Set<number>(picks);
  const foldIn: number[] = [];
  for (const id of input.foldIn) {
    if (!taken.has(id) && catalog.has(id) && !foldIn.includes(id)) foldIn.push(id);
  }
  const prior = genres.length > 0 ? genrePrior(genres, depth, taken, popularity, catalog) : [];
  const base =
    prior.length === 0 ? foldIn : foldIn.length === 0 ? prior : blendRankings(foldIn, prior, depth);
  const out = base.slice(0, depth);
  for (const id of out) taken.add(id);
  if (out.length < depth) {
    for (const id of popularity.top(depth - out.length, taken)) if (catalog.has(id)) out.push(id);
  }
  return out;
}
