import type { Catalog } from './catalog.js';
import type { PreparedHistory } from './history.js';
import { factorViewOf, personVector, placeByScore, solveItemVector } from './item-fold-in.js';
import { mixNewMovies, newMovieIds } from './new-movies.js';
import type { RatingValue, ServableModel } from './ports.js';

/** One person's ranking, about to get the new movies placed in it. */
export interface PlacementInput {
  loaded: ServableModel;
  /** The user's id (-1 for a visitor): trained factors are used when their ratings are those of training. */
  userId: number;
  history: PreparedHistory;
  ranked: readonly number[];
  /** Liked movies (positives or picks), raw ids, for the genre rule. */
  liked: readonly number[];
  genres: readonly string[];
  exclude: ReadonlySet<number>;
  depth: number;
}

/**
 * Which movies are new (new-movies.ts), who rated them, and where they go in a person's ranking: placed by
 * score where the model supports item fold-in and the movie has trained raters (item-fold-in.ts), by the
 * genre rule otherwise. With no new movies a ranking is returned as it is.
 * @example const placement = createNewMoviePlacement(() => catalog); placement.place({ loaded, ... });
 */
export interface NewMoviePlacement {
  /** The new movies of a model and the current catalogue, newest first. */
  newMovies(loaded: ServableModel): readonly number[];
  /** Replaces everything known of the new movies' raters (after a model or catalogue load). */
  setRaters(rows: readonly { movieId: number; userId: number; rating: number | null }[]): void;
  /** A rating was stored; true when it was of a new movie (rankings must then be recomputed). */
  noteRating(
    loaded: ServableModel | undefined,
    userId: number,
    movieId: number,
    rating: number | null,
  ): boolean;
  place(input: PlacementInput): readonly number[];
}

export function createNewMoviePlacement(catalog: () => Catalog): NewMoviePlacement {
  const fresh = new WeakMap<ServableModel, { catalog: Catalog; ids: readonly number[] }>();
  // Per new movie, its raters as history rows (movieId = the rater's user id: the item side of fold-in).
  const raters = new Map<number, RatingValue[]>();
  let ratersVersion = 0;
  const vectors = new WeakMap<ServableModel, { version: number; byId: Map<number, Float32Array | null> }>();

  function newMovies(loaded: ServableModel): readonly number[] {
    let entry = fresh.get(loaded);
    if (entry?.catalog !== catalog()) {
      entry = { catalog: catalog(), ids: newMovieIds(catalog(), loaded.model.items) };
      fresh.set(loaded, entry);
    }
    return entry.ids;
  }

  function vectorOf(loaded: ServableModel, movieId: number): Float32Array | null {
    const view = factorViewOf(loaded);
    if (!view) return null;
    let entry = vectors.get(loaded);
    if (entry?.version !== ratersVersion) {
      entry = { version: ratersVersion, byId: new Map() };
      vectors.set(loaded, entry);
    }
    if (!entry.byId.has(movieId)) {
      entry.byId.set(movieId, solveItemVector(view, loaded, raters.get(movieId) ?? []));
    }
    return entry.byId.get(movieId) ?? null;
  }

  return {
    newMovies,
    setRaters(rows) {
      raters.clear();
      for (const row of rows) {
        const list = raters.get(row.movieId) ?? [];
        list.push({ movieId: row.userId, rating: row.rating });
        raters.set(row.movieId, list);
      }
      ratersVersion++;
    },
    noteRating(loaded, userId, movieId, rating) {
      if (!loaded || !newMovies(loaded).includes(movieId)) return false;
      const list = (raters.get(movieId) ?? []).filter((r) => r.movieId !== userId);
      list.push({ movieId: userId, rating });
      raters.set(movieId, list);
      ratersVersion++;
      return true;
    },
    place(input) {
      const { loaded, exclude } = input;
      const all = newMovies(loaded);
      if (all.length === 0) return input.ranked;
      const candidates = all.filter((id) => !exclude.has(id));
      // New movies enter only by these rules (not through popularity's top-up once they have ratings).
      const isNew = new Set(all);
      let ranked: readonly number[] = input.ranked.filter((id) => !isNew.has(id));
      let byGenre = candidates;
      const view = factorViewOf(loaded);
      const scored = view
        ? candidates.flatMap((id) => {
            const vector = vectorOf(loaded, id);
            return vector ? [{ id, vector }] : [];
          })
        : [];
      const person =
        view && scored.length > 0 ? personVector(view, loaded, input.userId, input.history) : null;
      if (view && person) {
        ranked = placeByScore(ranked, scored, person, view, loaded, input.depth);
        const placed = new Set(scored.map((s) => s.id));
        byGenre = candidates.filter((id) => !placed.has(id));
      }
      return mixNewMovies({
        ranked,
        candidates: byGenre,
        liked: input.liked,
        genres: input.genres,
        exclude,
        catalog: catalog(),
        depth: input.depth,
      });
    },
  };
}
