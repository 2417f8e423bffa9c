/**
 * The cold-start and new-movie rules as pure functions (src/serving/cold-start.ts, new-movies.ts) on a small
 * hand-made catalogue, where every expected list can be worked out by hand.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { createIdEncoder } from '../../src/dataset/encoder.js';
import { createCatalog } from '../../src/serving/catalog.js';
import {
  blendRankings,
  checkGenres,
  checkPicks,
  genrePrior,
  MAX_PICKS,
  picksHistory,
  rankPicks,
} from '../../src/serving/cold-start.js';
import { mixNewMovies, newMovieIds, similarByGenre } from '../../src/serving/new-movies.js';
import { createPopularityRanking } from '../../src/serving/popularity.js';

const GENRES: Record<number, string> = {
  1: 'Comedy',
  2: 'Drama',
  3: 'Comedy|Drama',
  4: 'Sci-Fi',
  5: 'Sci-Fi|Action',
  6: 'Comedy',
  7: 'Drama',
  8: 'Action',
  9: 'Horror',
};
// Popularity: 1 > 2 > 3 > ... > 9 (8 positives down to 0 for movie 9).
const popularity = createPopularityRanking(
  Object.keys(GENRES)
    .map(Number)
    .filter((id) => id !== 9)
    .map((id) => ({ movieId: id, count: 10 - id })),
);
const catalog = createCatalog(
  Object.entries(GENRES).map(([id, genre]) => ({ id: Number(id), title: `Movie ${id}`, genre, year: null })),
  popularity.countOf,
);

function field(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return `${error.field}: ${error.message}`;
    throw error;
  }
  return undefined;
}

describe('picks and genres', () => {
  it('picks are 5-star ratings, duplicates once', () => {
    expect(picksHistory([4, 1, 4])).toEqual([
      { movieId: 4, rating: 5 },
      { movieId: 1, rating: 5 },
    ]);
  });

  it('names unknown ids, too many picks and unknown genres (listing the valid ones)', () => {
    expect(checkPicks([1, 2, 2], catalog)).toEqual([1, 2]);
    expect(field(() => checkPicks([1, 77, 88], catalog))).toBe('movies: movies: unknown movie ids: 77, 88');
    const many = Array.from({ length: MAX_PICKS + 1 }, (_, i) => i + 1);
    expect(field(() => checkPicks(many, catalog))).toContain('at most 50 movies, got 51');
    expect(field(() => checkGenres(['Comedy', 'Western'], catalog))).toBe(
      'genres: genres: unknown genre "Western"; valid: Action, Comedy, Drama, Horror, Sci-Fi',
    );
  });
});

describe('ranking for picks', () => {
  it('genre prior: the most popular movies of any of the genres, picks left out', () => {
    expect(genrePrior(['Comedy', 'Sci-Fi'], 10, new Set([1]), popularity, catalog)).toEqual([3, 4, 5, 6]);
  });

  it('reciprocal rank fusion: both lists add up, ties to the better first-list rank', () => {
    // 7 is 3rd in a and 1st in b: 1/63 + 1/61 beats 5's 1/61 alone; 6 and 8 tie at 1/62, 6 is in a.
    expect(blendRankings([5, 6, 7], [7, 8], 4)).toEqual([7, 5, 6, 8]);
    expect(blendRankings([2, 1], [1, 2], 2)).toEqual([2, 1]);
  });

  it('no genres: exactly the fold-in ranking (catalogue only, picks out) topped up with popularity', () => {
    const ranked = rankPicks({
      foldIn: [8, 4, 99, 1],
      picks: [4],
      genres: [],
      depth: 6,
      popularity,
      catalog,
    });
    expect(ranked).toEqual([8, 1, 2, 3, 5, 6]);
  });

  it('genres only: the prior; neither: popularity; both: the blend', () => {
    const base = { picks: [] as number[], depth: 3, popularity, catalog };
    expect(rankPicks({ ...base, foldIn: [], genres: ['Drama'] })).toEqual([2, 3, 7]);
    expect(rankPicks({ ...base, foldIn: [], genres: [] })).toEqual([1, 2, 3]);
    expect(rankPicks({ ...base, foldIn: [8, 7], genres: ['Drama'] })).toEqual([7, 8, 2]);
  });
});

describe('new movies', () => {
  const items = createIdEncoder([1, 2, 3, 4, 5, 6, 7, 8]);
  const withNew = createCatalog([
    ...catalog.all(),
    { id: 20, title: 'New comedy', genre: 'Comedy', year: null },
    { id: 21, title: 'New horror', genre: 'Horror', year: null },
  ]);

  it('are the movies above every id the model knows that it does not know, newest first', () => {
    expect(newMovieIds(withNew, items)).toEqual([21, 20, 9]);
  });

  it('go to ranks 5, 10, 15 when at least half the liked movies share a genre, or a genre was asked for', () => {
    const ranked = Array.from({ length: 12 }, (_, i) => 100 + i);
    const mix = (liked: number[], genres: string[] = []) =>
      mixNewMovies({
        ranked,
        candidates: [21, 20],
        liked,
        genres,
        exclude: new Set(),
        catalog: withNew,
        depth: 12,
      });
    // Liked 1 (Comedy), 3 (Comedy|Drama), 2 (Drama): 2/3 share Comedy -> 20 at rank 5; horror 0/3.
    expect(mix([1, 3, 2])).toEqual([100, 101, 102, 103, 20, 104, 105, 106, 107, 108, 109, 110]);
    // Liked 1 and 2: Comedy 1/2 -> placed; asked for Horror -> 21 first (affinity 1), then 20.
    expect(mix([1, 2], ['Horror'])).toEqual([100, 101, 102, 103, 21, 104, 105, 106, 107, 20, 108, 109]);
    expect(mix([2, 7])).toBe(ranked);
    expect(mix([])).toBe(ranked);
  });

  it('never place an excluded (rated, picked) movie', () => {
    const out = mixNewMovies({
      ranked: [100, 101],
      candidates: [20],
      liked: [1],
      genres: [],
      exclude: new Set([20]),
      catalog: withNew,
      depth: 10,
    });
    expect(out).toEqual([100, 101]);
  });

  it('similar movies of a new movie: most shared genres, then most popular', () => {
    const similar = similarByGenre(20, 3, withNew, popularity).map((m) => m.id);
    expect(similar).toEqual([1, 6, 3]);
  });
});
