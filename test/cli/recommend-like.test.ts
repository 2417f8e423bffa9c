/**
 * `recsys recommend --like ... --genres ... [--diversity]` as a child process prints the list
 * `GET /recommendations` answers for the same picks (same artifact; the API over a database seeded from the
 * same ml-100k data).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiServer } from '../../src/api/serve.js';
import { EXIT_CODES } from '../../src/core/errors.js';
import type { Database } from '../../src/db/client.js';
import { createDatabase } from '../../src/db/client.js';
import { call, ml100kWithArtifact, seed, startTestServer, TEST_MODEL } from '../api/support.js';
import { dropSchema, postgresUrl, uniqueSchemaName } from '../db/support.js';
import { runCli } from './support.js';

const schema = uniqueSchemaName('cli_like');
let db: Database;
let server: ApiServer;
let env: Record<string, string>;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const fixture = await ml100kWithArtifact('cli-like');
  cleanups.push(fixture.remove);
  db = await createDatabase({ databaseUrl: postgresUrl(schema), pgliteDir: '' });
  cleanups.push(() => dropSchema(schema));
  cleanups.push(() => db.close());
  await seed(db, fixture.tables);
  server = await startTestServer({ db, artifactsDir: fixture.artifactsDir, apiToken: 'cli-like-token' });
  cleanups.push(() => server.close());
  env = { RECSYS_ARTIFACTS: fixture.artifactsDir, RECSYS_MODEL: TEST_MODEL };
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function cliList(args: string[]): Promise<unknown> {
  const result = await runCli(['recommend', ...args, '--json'], env);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

describe('recsys recommend --like', () => {
  it.each([
    ['picks', ['--like', '1,50,181'], 'movies=1,50,181'],
    [
      'picks and genres',
      ['--like', '1,50,181', '--genres', 'Comedy,Drama', '-k', '20'],
      'movies=1,50,181&genres=Comedy,Drama&k=20',
    ],
    ['genres alone', ['--genres', 'Horror'], 'genres=Horror'],
    ['picks with diversity', ['--like', '1,50,181', '--diversity', '0.5'], 'movies=1,50,181&diversity=0.5'],
  ])('%s: prints the route body', async (_, args, query) => {
    const route = await call(`${server.url}/recommendations?${query}`);
    expect(route.status).toBe(200);
    expect(await cliList(args)).toEqual(route.body);
  });

  it('names the flag for bad picks and unknown genres', async () => {
    const malformed = await runCli(['recommend', '--like', '1,x'], env);
    expect(malformed.code).toBe(EXIT_CODES.VALIDATION);
    expect(malformed.stderr).toContain('--like');
    const unknown = await runCli(['recommend', '--like', '1,999999'], env);
    expect(unknown.code).toBe(EXIT_CODES.VALIDATION);
    expect(unknown.stderr).toContain('999999');
    const genre = await runCli(['recommend', '--genres', 'Nope'], env);
    expect(genre.code).toBe(EXIT_CODES.VALIDATION);
    expect(genre.stderr).toContain('--genres');
    // --all does not re-rank: a --diversity there is refused rather than ignored.
    const all = await runCli(
      [
        'recommend',
        '--all',
        '--out',
        path.join(env.RECSYS_ARTIFACTS as string, 'unused.jsonl'),
        '--diversity',
        '0.5',
      ],
      env,
    );
    expect(all.code).toBe(EXIT_CODES.VALIDATION);
    expect(all.stderr).toContain('--diversity');
  });

  it('--diversity re-ranks --user the way the route does', async () => {
    const route = await call(`${server.url}/users/3/recommendations?k=10&diversity=0.5`);
    const plain = await call(`${server.url}/users/3/recommendations?k=10`);
    const result = await runCli(['recommend', '--user', '3', '--diversity', '0.5', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const items = (JSON.parse(result.stdout) as { items: { id: number }[] }).items.map((m) => m.id);
    expect(items).toEqual(route.body.movies.map((m: { id: number }) => m.id));
    expect(items).not.toEqual(plain.body.movies.map((m: { id: number }) => m.id));
  });
});
