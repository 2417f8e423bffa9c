import { ValidationError } from '../../core/errors.js';
import type { Database } from '../client.js';
import { insertWithNextId, requireId } from './errors.js';
import type { MovieRecord } from './types.js';

export interface MoviesRepository {
  /** The movie, or null. */
  byId(id: number): Promise<MovieRecord | null>;
  /** The movies among `ids` that exist, in the order of `ids` (duplicates kept once). */
  byIds(ids: readonly number[]): Promise<MovieRecord[]>;
  /** Movies whose title contains `query`, case-insensitively, titles starting with it first; at most `limit`. */
  search(query: string, limit: number): Promise<MovieRecord[]>;
  /** The whole catalog by id (for serving's in-memory copy). */
  all(): Promise<MovieRecord[]>;
  count(): Promise<number>;
  /** Adds a movie with the next free id (one above the largest); returns it as stored. */
  create(movie: Omit<MovieRecord, 'id'>): Promise<MovieRecord>;
}

/** Most rows one search returns, whatever the caller asks. */
export const MAX_SEARCH_LIMIT = 1000;

/**
 * Movie reads, and adding a movie.
 * @example const movies = createMoviesRepository(db); await movies.search('toy story', 10);
 */
export function createMoviesRepository(db: Database): MoviesRepository {
  const select = { id: true, title: true, year: true, genres: true } as const;
  return {
    byId: async (id) => db.prisma.movie.findUnique({ where: { id: requireId(id, 'id') }, select }),
    async byIds(ids) {
      const unique = [...new Set(ids)];
      for (const id of unique) requireId(id, 'ids');
      if (unique.length === 0) return [];
      const rows = await db.prisma.movie.findMany({ where: { id: { in: unique } }, select });
      const byId = new Map(rows.map((m) => [m.id, m]));
      return unique.flatMap((id) => byId.get(id) ?? []);
    },
    async search(query, limit) {
      const text = query.trim();
      if (text.length === 0) throw new ValidationError('search', 'must not be empty');
      if (text.length > 200) throw new ValidationError('search', 'must be at most 200 characters');
      if (!Number.isInteger(limit) || limit < 1)
        throw new ValidationError('limit', `must be a positive integer, got ${limit}`);
      // LIKE wildcards typed by the user are literal characters here.
      const pattern = text.replace(/[\\%_]/g, (c) => `\\${c}`);
      return db.query<MovieRecord & Record<string, unknown>>(
        `SELECT id, title, year, genres FROM movies
          WHERE title ILIKE '%' || $1 || '%' ESCAPE '\\'
          ORDER BY (title ILIKE $1 || '%' ESCAPE '\\') DESC, title, id
          LIMIT $2`,
        [pattern, Math.min(limit, MAX_SEARCH_LIMIT)],
      );
    },
    all: () => db.prisma.movie.findMany({ select, orderBy: { id: 'asc' } }),
    count: () => db.prisma.movie.count(),
    async create(movie) {
      if (movie.title.trim() === '') throw new ValidationError('title', 'must not be empty');
      if (movie.year !== null && !(Number.isInteger(movie.year) && movie.year >= 1800 && movie.year <= 2200))
        throw new ValidationError('year', `must be a whole number from 1800 to 2200, got ${movie.year}`);
      return insertWithNextId('movie', async () => {
        const [row] = await db.query<MovieRecord & Record<string, unknown>>(
          `INSERT INTO movies (id, title, year, genres)
             SELECT COALESCE(MAX(id), 0) + 1, $1, $2::int, $3 FROM movies
             RETURNING id, title, year, genres`,
          [movie.title, movie.year, movie.genres],
        );
        return row;
      });
    },
  };
}
