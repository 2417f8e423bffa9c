import { ArtifactIntegrityError } from '../core/errors.js';
import { genreString, type MovieRow } from '../data/schema.js';
import type { IdEncoder } from '../dataset/types.js';
import { MOVIES_JSON } from './format.js';

/** Title and MovieLens genre string of a movie, by raw id. */
export interface MovieInfo {
  title: string;
  genres: string;
}

/** The movies an artifact can recommend, by raw id (what `recommend` and `similar` print). */
export type MovieCatalog = ReadonlyMap<number, MovieInfo>;

/**
 * Encodes the movies of `items` (others are left out) as compact JSON rows `[id, title, genres]`.
 * @example const bytes = encodeMovies(tables.movies, model.items);
 */
export function encodeMovies(
  movies: readonly MovieRow[],
  items: IdEncoder,
): { bytes: Uint8Array; count: number } {
  const rows: [number, string, string][] = [];
  for (const movie of movies) {
    if (items.toDense(movie.movieId) >= 0) rows.push([movie.movieId, movie.title, genreString(movie)]);
  }
  rows.sort((a, b) => a[0] - b[0]);
  const text = `{"columns":["id","title","genres"],"rows":[\n${rows.map((r) => JSON.stringify(r)).join(',\n')}\n]}\n`;
  return { bytes: new TextEncoder().encode(text), count: rows.length };
}

/** Reads `movies.json` back into a catalogue. */
export function decodeMovies(bytes: Uint8Array, where = MOVIES_JSON): MovieCatalog {
  let rows: unknown;
  try {
    rows = (JSON.parse(new TextDecoder().decode(bytes)) as { rows?: unknown }).rows;
  } catch (error) {
    throw new ArtifactIntegrityError(where, `not JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(rows)) throw new ArtifactIntegrityError(where, 'no rows');
  const catalog = new Map<number, MovieInfo>();
  for (const row of rows as unknown[]) {
    if (!Array.isArray(row) || typeof row[0] !== 'number' || typeof row[1] !== 'string') {
      throw new ArtifactIntegrityError(where, `malformed row ${JSON.stringify(row)}`);
    }
    catalog.set(row[0], { title: row[1], genres: typeof row[2] === 'string' ? row[2] : '' });
  }
  return catalog;
}
