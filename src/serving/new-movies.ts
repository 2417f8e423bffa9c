import type { IdEncoder } from '../dataset/types.js';
import type { Catalog, CatalogMovie } from './catalog.js';
import type { PopularityRanking } from './popularity.js';

/**
 * Movies added to the catalogue after the served model was trained (`POST /movies`, issue 15.2): the model
 * has no column for them, so until the next training they are recommended through their genres.
 *
 * - **New** means: in the catalogue, unknown to the model, and with an id above every id the model knows
 *   (`POST /movies` takes the next free id, so every movie added after training qualifies; an old movie the
 *   training never saw keeps today's behaviour).
 * - **Recommendations** (users and visitors): a new movie's genre affinity to a person is 1 when it has one of
 *   the genres they asked for (`genres=` of the cold-start route), otherwise the share of their liked movies
 *   (positives, or picks) sharing at least one genre with it. New movies with affinity >= 0.5 are placed, best
 *   affinity first (then newest), at ranks 5, 10 and 15 of the list (at most three; appended when the list is
 *   shorter). Ranks 5/10/15 put one in a top-10 without displacing the model's strongest answers. Never one the
 *   person rated or picked. With no new movies the lists are exactly the model's.
 * - **Once it has ratings** and the model has factors (ALS), `item-fold-in.ts` solves its item vector from its
 *   raters' user factors and it is placed by score instead (see there).
 * - **Similar movies** of a new movie (`GET /movies/{id}/similar`): movies sharing a genre with it, most
 *   shared genres first (Jaccard of the genre sets), then most popular, then lower id.
 */

/** 1-based ranks where genre-matched new movies go. */
export const NEW_MOVIE_RANKS: readonly number[] = [5, 10, 15];
/** Smallest genre affinity that places a new movie. */
export const NEW_MOVIE_MIN_AFFINITY = 0.5;

/**
 * The catalogue's new movies for a model (see above), newest (highest id) first.
 * @example const fresh = newMovieIds(catalog, model.items);
 */
export function newMovieIds(catalog: Pick<Catalog, 'all'>, items: IdEncoder): number[] {
  let maxKnown = Number.NEGATIVE_INFINITY;
  for (const id of items.rawIds) if (id > maxKnown) maxKnown = id;
  return catalog
    .all()
    .filter((movie) => movie.id > maxKnown && items.toDense(movie.id) < 0)
    .map((movie) => movie.id)
    .sort((a, b) => b - a);
}

/**
 * A new movie's genre affinity to a person: 1 when it has a requested genre, else the share of `liked` that
 * shares a genre with it (0 without liked movies).
 * @example genreAffinity(['Comedy'], [1, 260], [], catalog)
 */
export function genreAffinity(
  movieGenres: readonly string[],
  liked: readonly number[],
  requested: readonly string[],
  catalog: Pick<Catalog, 'genresOf'>,
): number {
  if (movieGenres.some((g) => requested.includes(g))) return 1;
  if (liked.length === 0) return 0;
  let sharing = 0;
  for (const id of liked) if (catalog.genresOf(id).some((g) => movieGenres.includes(g))) sharing++;
  return sharing / liked.length;
}

export interface MixNewMoviesInput {
  /** The ranking (raw ids, best first). */
  ranked: readonly number[];
  /** New movies placed by genre (newest first). */
  candidates: readonly number[];
  liked: readonly number[];
  genres: readonly string[];
  /** Movies never to show (rated or picked). */
  exclude: ReadonlySet<number>;
  catalog: Pick<Catalog, 'genresOf'>;
  depth: number;
}

/**
 * The ranking with genre-matched new movies at NEW_MOVIE_RANKS (see above); `ranked` itself when none match.
 * @example mixNewMovies({ ranked, candidates, liked, genres: [], exclude, catalog, depth: 100 })
 */
export function mixNewMovies(input: MixNewMoviesInput): readonly number[] {
  const { ranked, liked, genres, exclude, catalog, depth } = input;
  const chosen = input.candidates
    .filter((id) => !exclude.has(id))
    .map((id, order) => ({
      id,
      order,
      affinity: genreAffinity(catalog.genresOf(id), liked, genres, catalog),
    }))
    .filter((c) => c.affinity >= NEW_MOVIE_MIN_AFFINITY)
    .sort((a, b) => b.affinity - a.affinity || a.order - b.order)
    .slice(0, NEW_MOVIE_RANKS.length)
    .map((c) => c.id);
  if (chosen.length === 0) return ranked;
  const placed = new Set(chosen);
  const out = ranked.filter((id) => !placed.has(id));
  chosen.forEach((id, i) => {
    const at = (NEW_MOVIE_RANKS[i] as number) - 1;
    out.splice(Math.min(at, out.length), 0, id);
  });
  return out.slice(0, depth);
}

/**
 * Similar movies of a movie the model does not know: catalogue movies sharing a genre with it, by Jaccard of
 * the genre sets, then popularity, then lower id.
 * @example similarByGenre(9999, 10, catalog, popularity)
 */
export function similarByGenre(
  movieId: number,
  k: number,
  catalog: Pick<Catalog, 'all' | 'genresOf'>,
  popularity: Pick<PopularityRanking, 'countOf'>,
): CatalogMovie[] {
  const own = new Set(catalog.genresOf(movieId));
  if (own.size === 0) return [];
  const scored: { movie: CatalogMovie; jaccard: number; count: number }[] = [];
  for (const movie of catalog.all()) {
    if (movie.id === movieId) continue;
    const genres = catalog.genresOf(movie.id);
    const shared = genres.filter((g) => own.has(g)).length;
    if (shared === 0) continue;
    const jaccard = shared / (own.size + genres.length - shared);
    scored.push({ movie, jaccard, count: popularity.countOf(movie.id) });
  }
  return scored
    .sort((a, b) => b.jaccard - a.jaccard || b.count - a.count || a.movie.id - b.movie.id)
    .slice(0, k)
    .map((s) => s.movie);
}
