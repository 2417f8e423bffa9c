import type { DiversityContext } from '../models/diversity.js';
import type { Catalog } from './catalog.js';
import { checkGenres, checkPicks, picksHistory, rankPicks } from './cold-start.js';
import { prepareHistory } from './history.js';
import type { NewMoviePlacement } from './new-movie-placement.js';
import type { PopularityRanking } from './popularity.js';
import type { ServableModel } from './ports.js';
import type { RankBatcher } from './rank-batcher.js';

/** A visitor's request: liked movies (raw ids) and genres, both optional. */
export interface VisitorRequest {
  movies: readonly number[];
  genres: readonly string[];
}

export interface VisitorRankingDeps {
  catalog: Catalog;
  popularity: PopularityRanking;
  /** Places movies added after training (new-movie-placement.ts). */
  newMovies: NewMoviePlacement;
  depth: number;
  batcher: RankBatcher;
}

/**
 * A visitor's ranking (raw ids, `depth` deep) on a loaded model: picks and genres checked against the
 * catalogue (ValidationError naming `movies` / `genres`), the picks folded in as a 5-star history through the
 * artifact's history policy, then cold-start.ts's rules and the new movies' placement.
 * @example const ids = await rankVisitor(loaded, { movies: [1, 260], genres: [] }, deps);
 */
export async function rankVisitor(
  loaded: ServableModel,
  request: VisitorRequest,
  deps: VisitorRankingDeps,
): Promise<{ ids: readonly number[]; picks: number[] }> {
  const { catalog, popularity, depth, batcher } = deps;
  const picks = checkPicks(request.movies, catalog);
  const genres = checkGenres(request.genres, catalog);
  const { model, historyPolicy } = loaded;
  const history = prepareHistory(picksHistory(picks), model.items, historyPolicy);
  let foldIn: number[] = [];
  if (history.positives) {
    // User id -1 is nobody the model was trained on: the batcher folds the history in.
    const dense = await batcher.rank(loaded, -1, { ...history, positives: history.positives });
    foldIn = dense.map((item) => model.items.toRaw(item));
  }
  const ranked = rankPicks({ foldIn, picks, genres, depth, popularity, catalog });
  const ids = deps.newMovies.place({
    loaded,
    userId: -1,
    history,
    ranked,
    liked: picks,
    genres,
    exclude: new Set(picks),
    depth,
  });
  return { ids, picks };
}

/**
 * The diversity re-ranker's view of the serving catalogue: positive ratings per movie (the popularity
 * ranking's counts) and genres.
 * @example diversify({ ranked, k, diversity, context: diversityContext(catalog, popularity) });
 */
export function diversityContext(catalog: Catalog, popularity: PopularityRanking): DiversityContext {
  return { popularity: (id) => popularity.countOf(id), genres: (id) => catalog.genresOf(id) };
}
