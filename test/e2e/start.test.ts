import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dropSchema, postgresUrl, uniqueSchemaName } from '../db/support.js';
import { call, tempDir, TEST_HYPERPARAMETERS, TEST_MODEL, type Json } from '../api/support.js';

/**
 * `npm start` end to end, as a new user runs it: `node bin/recsys.js start` (what the npm script runs) on
 * ml-latest-small from ../shared, in temp folders, until it serves recommendations; then SIGTERM and a clean
 * exit. Once on embedded PGlite (then a second start that skips every step), once on PostgreSQL.
 */

const ML_LATEST_SMALL = path.resolve(process.cwd(), '..', 'shared', 'movielens', 'ml-latest-small');

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
  exit: Promise<number | null>;
}

function start(env: Record<string, string>): Promise<Started> {
  const params = Object.entries(TEST_HYPERPARAMETERS).flatMap(([name, value]) => [
    '--param',
    `${name}=${String(value)}`,
  ]);
  const base = { ...process.env };
  for (const name of Object.keys(base))
    if (/^(RECSYS_|DATABASE_URL$|MOVIELENS_DIR$|PORT$|HOST$)/.test(name)) delete base[name];
  const child = spawn(process.execPath, ['bin/recsys.js', 'start', ...params], {
    cwd: process.cwd(),
    env: {
      ...base,
      MOVIELENS_DIR: ML_LATEST_SMALL,
      RECSYS_DATASET: 'ml-latest-small',
      RECSYS_MODEL: TEST_MODEL,
      HOST: '127.0.0.1',
      PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /listening url=(http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) resolve({ child, url: match[1] as string, output: () => output, exit });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exit.then((code) =>
      reject(new Error(`recsys start exited with ${code} before listening:\n${output}`)),
    );
  });
}

async function waitReady(url: string): Promise<Json> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const ready = await call(`${url}/ready`).catch(() => undefined);
    if (ready?.status === 200) return ready.body;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('never ready');
}

async function checkServesAndStops(started: Started): Promise<void> {
  const ready = await waitReady(started.url);
  expect(ready).toMatchObject({ status: 'ready', database: true, model: { kind: TEST_MODEL } });
  const { status, body } = await call(`${started.url}/users/1/recommendations?k=10`);
  expect(status).toBe(200);
  expect(body.movies).toHaveLength(10);
  for (const movie of body.movies) {
    expect(Object.keys(movie).sort()).toEqual(['genre', 'id', 'title']);
    expect(typeof movie.title).toBe('string');
  }
  started.child.kill('SIGTERM');
  expect(await started.exit).toBe(0);
  expect(started.output()).toContain('stopped');
}

describe('npm start end to end', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('on embedded PGlite: downloads nothing, converts, migrates, seeds, trains, serves; a second start skips every step', async () => {
    const work = await tempDir('e2e-pglite');
    cleanups.push(work.remove);
    const env = {
      RECSYS_DATA_DIR: path.join(work.dir, 'data'),
      RECSYS_ARTIFACTS: path.join(work.dir, 'artifacts'),
    };
    const first = await start(env);
    await checkServesAndStops(first);
    expect(first.output()).toContain('wrote Parquet');
    expect(first.output()).toContain('applying migration');
    expect(first.output()).toMatch(/\bseeded users=610 movies=9742 ratings=100836/);
    expect(first.output()).toContain('artifact promoted');
    expect(first.output()).toContain(path.join(work.dir, 'data', 'api-token'));

    const second = await start(env);
    await checkServesAndStops(second);
    expect(second.output()).toContain('Parquet is up to date');
    expect(second.output()).toContain('schema up to date');
    expect(second.output()).toContain('already seeded');
    expect(second.output()).toContain('already trained');
    expect(second.output()).not.toContain('artifact saved');
  });

  it('on PostgreSQL (DATABASE_URL, fresh schema): serves recommendations and stops cleanly', async () => {
    const work = await tempDir('e2e-postgres');
    const schema = uniqueSchemaName('e2e_start');
    cleanups.push(work.remove, () => dropSchema(schema));
    const started = await start({
      RECSYS_DATA_DIR: path.join(work.dir, 'data'),
      RECSYS_ARTIFACTS: path.join(work.dir, 'artifacts'),
      DATABASE_URL: postgresUrl(schema),
    });
    await checkServesAndStops(started);
    expect(started.output()).toContain('database: postgres');
  });
});
