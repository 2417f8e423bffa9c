import { Writable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { ApiServer } from '../../src/api/serve.js';
import { createLogger } from '../../src/core/log.js';
import type { DatasetTables } from '../../src/data/schema.js';
import type { Database } from '../../src/db/client.js';
import { adminQuery, describeEachEngine, POSTGRES_BASE_URL } from '../db/support.js';
import { call, ml100kWithArtifact, seed, startTestServer } from './support.js';

const TOKEN = 'failures-test-token-0123456789';

/** ml-100k and a trained artifact, made once for the file and served by each engine's server. */
let tables: DatasetTables;
let artifactsDir: string;
const fileCleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const fixture = await ml100kWithArtifact('fail');
  fileCleanups.push(fixture.remove);
  ({ tables, artifactsDir } = fixture);
});

afterAll(async () => {
  for (const cleanup of fileCleanups.reverse()) await cleanup();
});

/**
 * "The database goes away" runs on both engines: the server's Database is closed under it (PostgreSQL: Prisma
 * disconnected and the pool ended; PGlite: the embedded instance closed and its lock released), so every
 * later query fails inside the server. A connection killed by PostgreSQL (pg_terminate_backend) is
 * PostgreSQL's own failure and runs there only: PGlite has no server connection to lose.
 */
describeEachEngine('logs, and failures the client must not see the inside of', (engine) => {
  const lines: Record<string, unknown>[] = [];
  let db: Database;
  let server: ApiServer;

  beforeAll(async () => {
    db = engine.db();
    await seed(db, tables);
    const stream = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const logger = createLogger({ level: 'debug', json: true, stream });
    server = await startTestServer({ db, artifactsDir, apiToken: TOKEN, ttlMs: 0, logger });
  });

  afterAll(async () => {
    await server?.close();
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

  // PostgreSQL only: PGlite runs inside this process, so there is no server connection to lose; its form of a
  // lost database is the closed instance below.
  if (engine.kind === 'postgres') {
    it('a request whose PostgreSQL connection is killed gets a clean 500 with the cause logged; the next is served', async () => {
      expect((await call(`${server.url}/users/3/ratings`)).status).toBe(200);
      // Hold a lock the request's query waits on, so its backend can be killed mid-request. Only this
      // server's backend is touched: the one waiting on this test's own schema (other runs share the server).
      const admin = new pg.Client({ connectionString: POSTGRES_BASE_URL });
      await admin.connect();
      try {
        await admin.query('BEGIN');
        await admin.query(`LOCK TABLE "${db.schema}"."ratings" IN ACCESS EXCLUSIVE MODE`);
        const pending = call(`${server.url}/users/3/ratings`, { headers: { 'x-request-id': 'killed-1' } });
        const waiting = await vi.waitFor(
          async () => {
            const rows = await adminQuery<{ pid: number }>(
              `SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1`,
              [`%"${db.schema}".%`],
            );
            expect(rows).toHaveLength(1);
            return rows[0] as { pid: number };
          },
          { timeout: 20_000, interval: 20 },
        );
        await adminQuery('SELECT pg_terminate_backend($1)', [waiting.pid]);
        const response = await pending;
        expect(response.status).toBe(500);
        expect(response.body).toEqual({ error: { code: 'INTERNAL', message: 'internal server error' } });
        const logged = lines.find((l) => l.msg === 'request failed' && l.requestId === 'killed-1');
        expect(typeof logged?.error).toBe('string');
        expect((logged?.error as string).trim()).not.toBe('');
      } finally {
        await admin.query('ROLLBACK').catch(() => undefined);
        await admin.end();
      }
      // The pool drops the dead connection: the next request is served without a restart.
      expect((await call(`${server.url}/users/3/ratings`)).status).toBe(200);
      expect((await call(`${server.url}/ready`)).status).toBe(200);
    });
  }

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
