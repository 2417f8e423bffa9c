import { silentProgress, type ProgressListener } from '../core/progress.js';
import type { DatasetTables, MovieRow, RatingsTable, UserRow } from '../data/schema.js';
import type { Database } from './client.js';
import type { SqlRunner } from './sql.js';

export interface ReadTrainingTablesOptions {
  /** Ratings read per query (keyset pages, so memory stays bounded by the columns; default 100,000). */
  batchRows?: number;
  onProgress?: ProgressListener;
}

/**
 * The database's users, movies and ratings as the tables training reads from Parquet, so a retrain sees every
 * rating posted through the API. One REPEATABLE READ snapshot (ratings written meanwhile are in or out whole);
 * ratings in (user, movie) order, keyset-paged into typed columns. Ratings without a value (ml-1m's
 * interactions) make the whole table implicit (`rating: null`: every row is an interaction), and ratings
 * without a time make `timestamp` null, as the Parquet of such a source is.
 * @example const tables = await readTrainingTables(db); await trainToArtifact({ store, tables, dataset: 'ml-1m', kind: 'als' });
 */
export async function readTrainingTables(
  db: Database,
  options: ReadTrainingTablesOptions = {},
): Promise<DatasetTables> {
  const batch = options.batchRows ?? 100_000;
  const onProgress = options.onProgress ?? silentProgress;
  return db.transaction(async (tx) => {
    await tx.exec('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const ratings = await readRatings(tx, batch, onProgress);
    const movies = (
      await tx.query<{ id: number; title: string; year: number | null; genres: string }>(
        'SELECT id, title, year, genres FROM movies ORDER BY id',
      )
    ).map((m): MovieRow => ({
      movieId: m.id,
      title: m.title,
      year: m.year,
      genres: m.genres === '' || m.genres === '(no genres listed)' ? [] : m.genres.split('|'),
    }));
    const users = (
      await tx.query<{
        id: number;
        gender: string | null;
        age: number | null;
        occupation: string | null;
        zip: string | null;
      }>('SELECT id, gender, age, occupation, zip FROM users ORDER BY id')
    ).map((u): UserRow => ({
      userId: u.id,
      gender: u.gender === 'M' || u.gender === 'F' ? u.gender : null,
      age: u.age,
      occupation: u.occupation,
      zip: u.zip,
    }));
    return { ratings, movies, users };
  });
}

async function readRatings(
  tx: SqlRunner,
  batch: number,
  onProgress: ProgressListener,
): Promise<RatingsTable> {
  const [counts] = await tx.query<{ n: number; unrated: number; untimed: number }>(
    `SELECT count(*)::int AS n, count(*) FILTER (WHERE rating IS NULL)::int AS unrated,
            count(*) FILTER (WHERE rated_at IS NULL)::int AS untimed FROM ratings`,
  );
  const n = counts?.n ?? 0;
  const userId = new Int32Array(n);
  const movieId = new Int32Array(n);
  const rating = (counts?.unrated ?? 0) === 0 ? new Float32Array(n) : null;
  const timestamp = (counts?.untimed ?? 0) === 0 ? new Float64Array(n) : null;
  let at = 0;
  let lastUser = -2147483648;
  let lastMovie = -2147483648;
  while (at < n) {
    const rows = await tx.query<{ u: number; m: number; r: number | null; t: number | null }>(
      `SELECT user_id AS u, movie_id AS m, rating AS r, extract(epoch FROM rated_at)::float8 AS t
         FROM ratings WHERE (user_id, movie_id) > ($1, $2) ORDER BY user_id, movie_id LIMIT $3`,
      [lastUser, lastMovie, Math.min(batch, n - at)],
    );
    if (rows.length === 0) break;
    for (const row of rows) {
      userId[at] = row.u;
      movieId[at] = row.m;
      if (rating) rating[at] = Number(row.r);
      if (timestamp) timestamp[at] = Math.floor(Number(row.t));
      at += 1;
    }
    const last = rows[rows.length - 1] as { u: number; m: number };
    lastUser = last.u;
    lastMovie = last.m;
    onProgress({ phase: 'read ratings from the database', done: at, total: n, unit: 'rows' });
  }
  return {
    length: at,
    userId: at === n ? userId : userId.slice(0, at),
    movieId: at === n ? movieId : movieId.slice(0, at),
    rating: rating && at !== n ? rating.slice(0, at) : rating,
    timestamp: timestamp && at !== n ? timestamp.slice(0, at) : timestamp,
  };
}
