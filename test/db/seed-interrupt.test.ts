import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDatasetTables } from '../../src/data/load.js';
import type { DatasetTables } from '../../src/data/schema.js';
import { createDatabase, type Database, type DatabaseConfig } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrate.js';
import { seedDatabase } from '../../src/db/seed.js';
import { MOVIELENS_DIR, dropSchema, postgresUrl, uniqueSchemaName } from './support.js';

/**
 * A seed killed with SIGKILL in the middle of its COPY leaves the database as it was before (here: a complete
 * ml-100k), never a mix; the next seed then completes.
 */

let dataDir: string;
let ml100k: DatasetTables;
let latestSmall: DatasetTables;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'recsys-seed-kill-'));
  // Converts both datasets to Parquet once, so the child process below goes straight to seeding.
  ml100k = await loadDatasetTables('ml-100k', { dataDir, from: MOVIELENS_DIR });
  latestSmall = await loadDatasetTables('ml-latest-small', { dataDir, from: MOVIELENS_DIR });
});
afterAll(() => fs.rm(dataDir, { recursive: true, force: true }));

async function state(db: Database): Promise<unknown> {
  const [row] = await db.query(
    `SELECT (SELECT count(*)::int FROM users) AS users, (SELECT count(*)::int FROM movies) AS movies,
            (SELECT count(*)::int FROM ratings) AS ratings, (SELECT string_agg(dataset, ',') FROM dataset_seeds) AS dataset`,
  );
  return row;
}

/** Runs `recsys db seed ml-latest-small --replace` and SIGKILLs it once it reports rows of ratings copied. */
function seedAndKill(
  env: Record<string, string | undefined>,
): Promise<{ killedMidCopy: boolean; output: string }> {
  const child = spawn(
    process.execPath,
    ['bin/recsys.js', 'db', 'seed', 'ml-latest-small', '--replace', '--batch-rows', '2000'],
    { env: { ...process.env, ...env, LOG_LEVEL: 'debug' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let output = '';
  let killedMidCopy = false;
  child.stderr.on('data', (d: Buffer) => {
    output += d.toString();
    if (!killedMidCopy && /copied table=ratings/.test(output)) {
      killedMidCopy = true;
      child.kill('SIGKILL');
    }
  });
  return new Promise((resolve) => child.on('close', () => resolve({ killedMidCopy, output })));
}

const expected100k = { users: 943, movies: 1682, ratings: 100_000, dataset: 'ml-100k' };
const expectedSmall = { users: 610, movies: 9742, ratings: 100_836, dataset: 'ml-latest-small' };

async function scenario(config: DatabaseConfig, env: Record<string, string | undefined>): Promise<void> {
  let db = await createDatabase(config);
  try {
    await migrate(db);
    await seedDatabase(db, ml100k, { dataset: 'ml-100k' });
    expect(await state(db)).toEqual(expected100k);
  } finally {
    // PGlite: the child process must open the directory alone.
    await db.close();
  }

  const run = await seedAndKill({ ...env, RECSYS_DATA_DIR: dataDir, MOVIELENS_DIR });
  expect(run.killedMidCopy, run.output).toBe(true);
  expect(run.output).not.toMatch(/database seeded/);

  db = await createDatabase(config);
  try {
    expect(await state(db)).toEqual(expected100k);
    const result = await seedDatabase(db, latestSmall, { dataset: 'ml-latest-small', replace: true });
    expect(result.status).toBe('seeded');
    expect(await state(db)).toEqual(expectedSmall);
  } finally {
    await db.close();
  }
}

describe('a seed killed mid-copy [postgres]', () => {
  const schema = uniqueSchemaName('kill');
  afterAll(() => dropSchema(schema));

  it('leaves the previous dataset complete, and the next seed completes', async () => {
    await scenario(
      { databaseUrl: postgresUrl(schema), pgliteDir: '' },
      { DATABASE_URL: postgresUrl(schema) },
    );
  });
});

describe('a seed killed mid-copy [pglite]', () => {
  it('leaves the previous dataset complete on disk, and the next seed completes', async () => {
    const pgliteDir = path.join(dataDir, 'pglite');
    await scenario({ pgliteDir }, { DATABASE_URL: undefined, RECSYS_PGLITE_DIR: pgliteDir });
  });
});
