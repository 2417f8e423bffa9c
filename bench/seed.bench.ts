/**
 * npm run bench:seed — seeding 1,000,000 generated ratings (ml-1m shape: 6,040 users, 3,706 movies) into
 * PostgreSQL, as a ratio to `psql \copy` of the same rows from CSV files in the same run.
 *
 * Ours: read the three Parquet files the ETL would have written + `seedDatabase` (binary COPY in one
 * transaction, indexes and foreign keys rebuilt after the load), i.e. `recsys db seed` after its ETL check.
 * Reference: `psql -1` with `\copy` of users, movies and ratings CSVs into the same migrated tables.
 * Floor (context only): the same `\copy` into tables without any index or constraint.
 * Rounds alternate the order; medians are reported. Also times a no-op re-seed and, once, a seed into an
 * in-memory PGlite (the default database of `npm start`).
 *
 * Env: BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test), BENCH_ROUNDS (default 3).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readRatingsParquet } from '../src/data/parquet.js';
import {
  readMoviesParquet,
  readUsersParquet,
  writeMoviesParquet,
  writeRatingsParquet,
  writeUsersParquet,
} from '../src/data/parquet-tables.js';
import { genreString, type DatasetTables } from '../src/data/schema.js';
import { generateSyntheticDataset } from '../src/dataset/synthetic.js';
import { createDatabase, PGLITE_MEMORY, type Database } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { seedDatabase } from '../src/db/seed.js';

const BASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SHAPE = { users: 6040, items: 3706, interactions: 1_000_000 };

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

function csvField(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) || text === '' ? `"${text.replaceAll('"', '""')}"` : text;
}

async function writeCsvs(tables: DatasetTables, dir: string): Promise<void> {
  const users = tables.users ?? [];
  await fs.writeFile(
    path.join(dir, 'users.csv'),
    users.map((u) => [u.userId, u.gender, u.age, u.occupation, u.zip].map(csvField).join(',')).join('\n') +
      '\n',
  );
  await fs.writeFile(
    path.join(dir, 'movies.csv'),
    tables.movies
      .map((m) => [m.movieId, m.title, m.year, genreString(m)].map(csvField).join(','))
      .join('\n') + '\n',
  );
  const r = tables.ratings;
  const lines: string[] = new Array(r.length);
  for (let i = 0; i < r.length; i++) {
    const at = r.timestamp ? new Date((r.timestamp[i] as number) * 1000).toISOString() : '';
    lines[i] = `${r.userId[i]},${r.movieId[i]},${r.rating ? r.rating[i] : ''},${at}`;
  }
  await fs.writeFile(path.join(dir, 'ratings.csv'), lines.join('\n') + '\n');
}

function psqlCopy(schema: string, dir: string): number {
  const url = new URL(BASE_URL);
  const start = performance.now();
  execFileSync('psql', [
    '-X', '-q', '-1', '-v', 'ON_ERROR_STOP=1',
    '-h', url.hostname, '-p', url.port || '5432', '-U', decodeURIComponent(url.username) || 'postgres', '-d', url.pathname.slice(1),
    '-c', `SET search_path TO "${schema}"`,
    '-c', `\\copy users (id, gender, age, occupation, zip) FROM '${dir}/users.csv' WITH (FORMAT csv)`,
    '-c', `\\copy movies (id, title, year, genres) FROM '${dir}/movies.csv' WITH (FORMAT csv)`,
    '-c', `\\copy ratings (user_id, movie_id, rating, rated_at) FROM '${dir}/ratings.csv' WITH (FORMAT csv)`,
  ]); // prettier-ignore
  return performance.now() - start;
}

async function openSchema(schema: string): Promise<Database> {
  return createDatabase({ databaseUrl: `${BASE_URL}?schema=${schema}`, pgliteDir: '' });
}

async function main(): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'recsys-bench-seed-'));
  const suffix = `${process.pid}_${Date.now()}`;
  const schemas = {
    ours: `bench_seed_ours_${suffix}`,
    psql: `bench_seed_psql_${suffix}`,
    floor: `bench_seed_floor_${suffix}`,
  };
  const opened: Database[] = [];
  try {
    let t = performance.now();
    const { tables } = generateSyntheticDataset({ ...SHAPE, withUsers: true, seed: 20261125 });
    console.log(
      `generated ${tables.ratings.length.toLocaleString('en-US')} ratings, ${tables.users?.length} users, ${tables.movies.length} movies in ${seconds(performance.now() - t)}`,
    );

    await writeRatingsParquet(path.join(dir, 'ratings.parquet'), tables.ratings);
    await writeMoviesParquet(path.join(dir, 'movies.parquet'), tables.movies);
    await writeUsersParquet(path.join(dir, 'users.parquet'), tables.users ?? []);
    await writeCsvs(tables, dir);

    const ours = await openSchema(schemas.ours);
    const psql = await openSchema(schemas.psql);
    const floor = await openSchema(schemas.floor);
    opened.push(ours, psql, floor);
    await migrate(ours);
    await migrate(psql);
    // The floor: the same columns with no primary key, index or foreign key.
    await floor.exec(`CREATE SCHEMA "${schemas.floor}";
      CREATE TABLE users (LIKE "${schemas.psql}".users); CREATE TABLE movies (LIKE "${schemas.psql}".movies);
      CREATE TABLE ratings (LIKE "${schemas.psql}".ratings)`);

    const times = { ours: [] as number[], psql: [] as number[], floor: [] as number[] };
    const runOurs = async () => {
      await ours.exec('TRUNCATE ratings, users, movies, dataset_seeds');
      const start = performance.now();
      const [ratings, movies, users] = await Promise.all([
        readRatingsParquet(path.join(dir, 'ratings.parquet')),
        readMoviesParquet(path.join(dir, 'movies.parquet')),
        readUsersParquet(path.join(dir, 'users.parquet')),
      ]);
      const result = await seedDatabase(ours, { ratings, movies, users }, { dataset: 'synthetic-ml-1m' });
      if (result.status !== 'seeded' || result.ratings !== SHAPE.interactions)
        throw new Error('seed did not load everything');
      times.ours.push(performance.now() - start);
    };
    const runPsql = async () => {
      await psql.exec('TRUNCATE ratings, users, movies');
      times.psql.push(psqlCopy(schemas.psql, dir));
      await floor.exec('TRUNCATE ratings, users, movies');
      times.floor.push(psqlCopy(schemas.floor, dir));
    };
    for (let round = 0; round < ROUNDS; round++) {
      if (round % 2 === 0) {
        await runOurs();
        await runPsql();
      } else {
        await runPsql();
        await runOurs();
      }
      console.log(
        `round ${round + 1}: ours ${seconds(times.ours.at(-1)!)}, psql \\copy ${seconds(times.psql.at(-1)!)}, floor ${seconds(times.floor.at(-1)!)}`,
      );
    }
    const [check] = await psql.query<{ n: number }>('SELECT count(*)::int AS n FROM ratings');
    if (check?.n !== SHAPE.interactions) throw new Error(`psql loaded ${check?.n} ratings`);

    t = performance.now();
    const again = await seedDatabase(ours, tables, { dataset: 'synthetic-ml-1m' });
    const noop = performance.now() - t;
    if (again.status !== 'unchanged') throw new Error('re-seed was not a no-op');

    const lite = await createDatabase({ pgliteDir: PGLITE_MEMORY });
    opened.push(lite);
    await migrate(lite);
    t = performance.now();
    await seedDatabase(lite, tables, { dataset: 'synthetic-ml-1m' });
    const pglite = performance.now() - t;

    const m = { ours: median(times.ours), psql: median(times.psql), floor: median(times.floor) };
    const rate = (ms: number) =>
      `${Math.round(SHAPE.interactions / (ms / 1000)).toLocaleString('en-US')} ratings/s`;
    console.log('\nmedians over', ROUNDS, 'rounds (1,000,000 ratings + 6,040 users + 3,706 movies):');
    console.log(`  recsys seed (Parquet -> binary COPY, PostgreSQL)  ${seconds(m.ours)}  ${rate(m.ours)}`);
    console.log(`  psql -1 \\copy CSV into the migrated tables        ${seconds(m.psql)}  ${rate(m.psql)}`);
    console.log(`  psql \\copy CSV into bare tables (floor)           ${seconds(m.floor)}  ${rate(m.floor)}`);
    console.log(
      `  ratio ours / psql \\copy: ${(m.ours / m.psql).toFixed(2)}x (target <= 1.5x)   ours / floor: ${(m.ours / m.floor).toFixed(2)}x`,
    );
    console.log(`  no-op re-seed (checksum match): ${seconds(noop)}`);
    console.log(`  recsys seed into in-memory PGlite: ${seconds(pglite)}  ${rate(pglite)}`);
  } finally {
    const admin = opened[0];
    for (const db of opened.slice(1)) await db.close();
    if (admin) {
      for (const schema of Object.values(schemas))
        await admin.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.close();
    }
    await fs.rm(dir, { recursive: true, force: true });
  }
}

await main();
