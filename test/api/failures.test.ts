import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiServer } from '../../src/api/serve.js';
import { createLogger } from '../../src/core/log.js';
import type { DatasetTables } from '../../src/data/schema.js';
import { createDatabase, type Database } from '../../src/db/client.js';
import { dropSchema, postgresUrl, uniqueSchemaName } from '../db/support.js';
import { call, ml100kWithArtifact, seed, startTestServer } from './support.js';

const TOKEN = 'failures-test-token-0123456789';

describe('logs, and failures the client must not see the inside of [postgres]', () => {
  const schema = uniqueSchemaName('api_fail');
  const lines: Record<string, unknown>[] = [];
  let db: Database;
  let tables: DatasetTables;
  let server: ApiServer;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    const fixture = await ml100kWithArtifact('fail');
    cleanups.push(fixture.remove);
    tables = fixture.tables;
    db = await createDatabase({ databaseUrl: postgresUrl(schema), pgliteDir: '' });
    cleanups.push(() => dropSchema(schema));
    await seed(db, tables);
    const stream = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const logger = createLogger({ level: 'debug', json: true, stream });
    server = await startTestServer({
      db,
      artifactsDir: fixture.artifactsDir,
      apiToken: TOKEN,
      ttlMs: 0,
      logger,
    });
  });

  afterAll(async () => {
    await server?.close();
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('writes one structured access-log line per request with its request id, and never the token', async () => {
    await call(`${server.url}/users/1/ratings`, {
      method: 'POST',
      token: TOKEN,
      body: { movieId: 1, rating: 5 },
      headers: { 'x-request-id': 'trace-me-42' },
    });
    await call(`${server.url}/users/1/ratings`, { method: 'POST', token: `${TOKEN}-wrong`, body: {} });
    const access = lines.find((l) => l.msg === 'request' && l.requestId === 'trace-me-42');
    expect(access).toMatchObject({
      level: 'info',
      method: 'POST',
      path: '/users/1/ratings',
      route: '/users/{id}/ratings',
      status: 201,
    });
    expect(typeof access?.ms).toBe('number');
    expect(lines.some((l) => l.status === 401)).toBe(true);
    expect(JSON.stringify(lines)).not.toContain(TOKEN);
  });

  it('answers 500 without internals when the database goes away, and /ready turns 503', async () => {
    await db.close();
    const response = await call(`${server.url}/users/2/ratings`, {
      headers: { 'x-request-id': 'db-down-1' },
    });
    expect(response.status).toBe(500);
    expect(response.body).toEqual({ error: { code: 'INTERNAL', message: 'internal server error' } });
    // The cause is in the log, tied to the request id.
    const logged = lines.find((l) => l.msg === 'request failed' && l.requestId === 'db-down-1');
    expect(logged).toMatchObject({ level: 'error', method: 'GET', path: '/users/2/ratings' });
    expect(typeof logged?.error).toBe('string');
    expect((logged?.error as string).trim()).not.toBe('');
    expect(logged?.error).not.toBe('internal server error');

    const ready = await call(`${server.url}/ready`);
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: 'not ready', database: false });
    // Liveness does not depend on the database.
    expect((await call(`${server.url}/health`)).status).toBe(200);
  });
});
