import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadDatasetTables } from '../../src/data/load.js';
import type { DatasetTables } from '../../src/data/schema.js';
import { createDatabase, type Database } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrate.js';
import { createRatingsRepository } from '../../src/db/repositories/index.js';
import { SeedConflictError, seedDatabase } from '../../src/db/seed.js';
import { MOVIELENS_DIR, describeEachEngine } from './support.js';

let dataDir: string;
let ml100k: DatasetTables;
let latestSmall: DatasetTables;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'recsys-seed-'));
  ml100k = await loadDatasetTables('ml-100k', { dataDir, from: MOVIELENS_DIR });
  latestSmall = await loadDatasetTables('ml-latest-small', { dataDir, from: MOVIELENS_DIR });
});
afterAll(() => fs.rm(dataDir, { recursive: true, force: true }));

async function counts(db: Database): Promise<{ users: number; movies: number; ratings: number }> {
  const [row] = await db.query<{ users: number; movies: number; ratings: number }>(
    `SELECT (SELECT count(*)::int FROM users) AS users, (SELECT count(*)::int FROM movies) AS movies,
            (SELECT count(*)::int FROM ratings) AS ratings`,
  );
  return row!;
}

/** Everything a seed writes, summarised so that any changed, added or lost row shows. */
async function fingerprint(db: Database): Promise<unknown> {
  const [row] = await db.query(
    `SELECT (SELECT md5(string_agg(concat_ws('|', user_id, movie_id, rating, extract(epoch FROM rated_at)), ',' ORDER BY user_id, movie_id)) FROM ratings) AS ratings,
            (SELECT md5(string_agg(concat_ws('|', id, title, year, genres), ',' ORDER BY id)) FROM movies) AS movies,
            (SELECT md5(string_agg(concat_ws('|', id, gender, age, occupation, zip), ',' ORDER BY id)) FROM users) AS users,
            (SELECT string_agg(concat_ws('|', dataset, checksum, seeded_at), ',') FROM dataset_seeds) AS seeds`,
  );
  return row;
}

/** ml-100k's u.data read here line by line, independently of the data layer. */
async function uData(): Promise<{ user: number; movie: number; rating: number; time: number }[]> {
  const text = await fs.readFile(path.join(MOVIELENS_DIR, 'ml-100k', 'u.data'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const [user, movie, rating, time] = l.split('\t').map(Number);
      return { user: user!, movie: movie!, rating: rating!, time: time! };
    });
}

describeEachEngine('seeding from ../shared/movielens', (engine) => {
  beforeAll(() => migrate(engine.db()));

  it('ml-100k gives its exact counts and the rows of u.data', async () => {
    const db = engine.db();
    const result = await seedDatabase(db, ml100k, { dataset: 'ml-100k' });
    expect(result).toMatchObject({ status: 'seeded', users: 943, movies: 1682, ratings: 100_000 });
    expect(await counts(db)).toEqual({ users: 943, movies: 1682, ratings: 100_000 });

    const lines = await uData();
    const first = lines[0]!;
    const [stored] = await db.query<{ rating: number; at: Date }>(
      'SELECT rating, rated_at AS at FROM ratings WHERE user_id = $1 AND movie_id = $2',
      [first.user, first.movie],
    );
    expect(stored).toEqual({ rating: first.rating, at: new Date(first.time * 1000) });
    const [sums] = await db.query<{ total: number; user1: number }>(
      'SELECT sum(rating)::float8 AS total, count(*) FILTER (WHERE user_id = 1)::int AS user1 FROM ratings',
    );
    expect(sums).toEqual({
      total: lines.reduce((s, l) => s + l.rating, 0),
      user1: lines.filter((l) => l.user === 1).length,
    });
    const [les] = await db.query<{ title: string }>(
      `SELECT title FROM movies WHERE title LIKE 'Mis_rables%'`,
    );
    expect(les?.title).toBe('Misérables, Les (1995)');
    const [user1] = await db.query('SELECT gender, age, occupation, zip FROM users WHERE id = 1');
    expect(user1).toEqual({ gender: 'M', age: 24, occupation: 'technician', zip: '85711' });
  });

  it('re-seeding the same data changes nothing, and keeps ratings added since', async () => {
    const db = engine.db();
    await createRatingsRepository(db).upsert({ userId: 1, movieId: 1682, rating: 4 });
    const before = await fingerprint(db);
    const result = await seedDatabase(db, ml100k, { dataset: 'ml-100k' });
    expect(result.status).toBe('unchanged');
    expect(await fingerprint(db)).toEqual(before);
    expect(await counts(db)).toEqual({ users: 943, movies: 1682, ratings: 100_001 });
  });

  it('refuses to overwrite another dataset unless told to replace it', async () => {
    const db = engine.db();
    const before = await fingerprint(db);
    await expect(seedDatabase(db, latestSmall, { dataset: 'ml-latest-small' })).rejects.toThrow(
      SeedConflictError,
    );
    await expect(seedDatabase(db, latestSmall, { dataset: 'ml-latest-small' })).rejects.toThrow(
      /holds dataset ml-100k/,
    );
    expect(await fingerprint(db)).toEqual(before);
  });

  it('ml-latest-small (no users file) replaces it with its exact counts and attribute-less users', async () => {
    const db = engine.db();
    const events: number[] = [];
    const result = await seedDatabase(db, latestSmall, {
      dataset: 'ml-latest-small',
      replace: true,
      rowsPerCopy: 30_000,
      onProgress: (e) => events.push(e.done),
    });
    expect(result).toMatchObject({ status: 'seeded', users: 610, movies: 9742, ratings: 100_836 });
    expect(await counts(db)).toEqual({ users: 610, movies: 9742, ratings: 100_836 });
    const [nulls] = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM users WHERE gender IS NULL AND age IS NULL AND occupation IS NULL AND zip IS NULL',
    );
    expect(nulls?.n).toBe(610);
    expect(await db.query('SELECT dataset, users, movies, ratings FROM dataset_seeds')).toEqual([
      { dataset: 'ml-latest-small', users: 610, movies: 9742, ratings: 100_836 },
    ]);
    const [half] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM ratings WHERE rating = 0.5');
    expect(half?.n).toBe(1370); // MANIFEST.md's histogram of ratings.csv
    expect(events.at(-1)).toBe(610 + 9742 + 100_836);
    expect(events).toEqual([...events].sort((a, b) => a - b));

    const again = await fingerprint(db);
    expect((await seedDatabase(db, latestSmall, { dataset: 'ml-latest-small' })).status).toBe('unchanged');
    expect(await fingerprint(db)).toEqual(again);
  });

  it('keeps the indexes and constraints it drops for the load', async () => {
    const db = engine.db();
    const constraints = await db.query<{ name: string }>(
      `SELECT conname AS name FROM pg_constraint WHERE conrelid = 'ratings'::regclass AND contype IN ('p', 'f', 'u') ORDER BY 1`,
    );
    expect(constraints.map((c) => c.name)).toEqual([
      'ratings_movie_id_fkey',
      'ratings_pkey',
      'ratings_user_id_fkey',
    ]);
    const indexes = await db.query<{ name: string }>(
      `SELECT indexname AS name FROM pg_indexes WHERE tablename = 'ratings' AND schemaname = $1 ORDER BY 1`,
      [db.schema],
    );
    expect(indexes.map((i) => i.name)).toEqual([
      'ratings_movie_id_idx',
      'ratings_pkey',
      'ratings_user_id_rated_at_idx',
    ]);
    await expect(
      createRatingsRepository(db).upsert({ userId: 1, movieId: 999_999, rating: 3 }),
    ).rejects.toThrow(/movie 999999 not found/);
  });

  it('rejects a rating of a movie the dataset does not list, before writing anything', async () => {
    const db = engine.db();
    const before = await fingerprint(db);
    const broken: DatasetTables = { ...ml100k, movies: ml100k.movies.filter((m) => m.movieId !== 50) };
    await expect(seedDatabase(db, broken, { dataset: 'ml-100k', replace: true })).rejects.toThrow(
      /movie 50 is not in the movies table/,
    );
    expect(await fingerprint(db)).toEqual(before);
  });
  it('stores implicit-only pairs (the shape of ml-1m interactions.parquet) with rating and time null', async () => {
    const db = engine.db();
    const pairs: DatasetTables = { ...ml100k, ratings: { ...ml100k.ratings, rating: null, timestamp: null } };
    const result = await seedDatabase(db, pairs, { dataset: 'ml-100k-pairs', replace: true });
    expect(result).toMatchObject({ status: 'seeded', ratings: 100_000 });
    const [row] = await db.query<{ n: number; nulls: number }>(
      'SELECT count(*)::int AS n, count(*) FILTER (WHERE rating IS NULL AND rated_at IS NULL)::int AS nulls FROM ratings',
    );
    expect(row).toEqual({ n: 100_000, nulls: 100_000 });
    // Same pairs, other values: a different checksum, so not mistaken for the rated dataset.
    expect(result.checksum).not.toBe(
      (await seedDatabase(db, ml100k, { dataset: 'ml-100k', replace: true })).checksum,
    );
  });
  it('two seeds at once: one loads, the other finds the work done', async () => {
    const db = engine.db();
    const other =
      engine.kind === 'postgres' ? await createDatabase({ databaseUrl: engine.url(), pgliteDir: '' }) : db;
    try {
      const results = await Promise.all([
        seedDatabase(db, latestSmall, { dataset: 'ml-latest-small', replace: true }),
        seedDatabase(other, latestSmall, { dataset: 'ml-latest-small', replace: true }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(['seeded', 'unchanged']);
      expect(await counts(db)).toEqual({ users: 610, movies: 9742, ratings: 100_836 });
    } finally {
      if (other !== db) await other.close();
    }
  });
});
