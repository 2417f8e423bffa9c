import { spawn } from 'node:child_process';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDatabase } from '../../src/db/client.js';
import { dropSchema, postgresUrl, uniqueSchemaName } from '../db/support.js';
import { call, ml100kWithArtifact, seed, TEST_MODEL } from './support.js';

/**
 * Shutdown a load balancer can follow (RECSYS_SHUTDOWN_DELAY_MS), on the real process (`recsys serve`): after
 * SIGTERM `/ready` answers 503 while the server keeps accepting and answering, so clients that open a
 * connection per request (as a balancer's health checks and many proxies do) meet no reset or refusal while
 * the balancer is still sending; then the process closes and exits 0.
 */

interface Outcome {
  /** The status, or the socket error's code (ECONNRESET, ECONNREFUSED...). */
  result: number | string;
  /** Sent after SIGTERM. */
  afterSignal: boolean;
}

/** One GET on a connection of its own (no agent: connect, request, close). */
function getOnNewConnection(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    const request = http.get(url, { agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
    request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe('SIGTERM with RECSYS_SHUTDOWN_DELAY_MS [postgres]', () => {
  const schema = uniqueSchemaName('api_drain');
  let artifactsDir: string;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    const fixture = await ml100kWithArtifact('drain');
    cleanups.push(fixture.remove);
    artifactsDir = fixture.artifactsDir;
    const db = await createDatabase({ databaseUrl: postgresUrl(schema), pgliteDir: '' });
    cleanups.push(() => dropSchema(schema));
    try {
      await seed(db, fixture.tables);
    } finally {
      await db.close();
    }
  });

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('turns /ready 503 and keeps answering 50 connection-per-request clients: zero resets, then exits 0', async () => {
    const base = { ...process.env };
    for (const name of Object.keys(base))
      if (/^(RECSYS_|DATABASE_URL$|MOVIELENS_DIR$|PORT$|HOST$|LOG_)/.test(name)) delete base[name];
    const child = spawn(process.execPath, ['bin/recsys.js', 'serve'], {
      env: {
        ...base,
        DATABASE_URL: postgresUrl(schema),
        RECSYS_ARTIFACTS: artifactsDir,
        RECSYS_MODEL: TEST_MODEL,
        RECSYS_API_TOKEN: 'drain-test-token',
        RECSYS_SHUTDOWN_DELAY_MS: '8000',
        HOST: '127.0.0.1',
        PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const url = await vi.waitFor(
        () => {
          if (child.exitCode !== null) throw new Error(`serve exited early:\n${output}`);
          const match = /listening url=(http:\/\/127\.0\.0\.1:\d+)/.exec(output);
          if (!match) throw new Error('not listening yet');
          return match[1] as string;
        },
        { timeout: 60_000, interval: 50 },
      );
      await vi.waitFor(async () => expect((await call(`${url}/ready`)).status).toBe(200), {
        timeout: 30_000,
        interval: 50,
      });

      // 50 clients, each opening a new connection per request, until told to stop.
      const outcomes: Outcome[] = [];
      let signalled = false;
      let sending = true;
      const clients = Array.from({ length: 50 }, async (_, i) => {
        while (sending) {
          const afterSignal = signalled;
          const path = i % 2 === 0 ? '/health' : `/users/${(i % 900) + 1}/recommendations?k=5`;
          outcomes.push({ result: await getOnNewConnection(`${url}${path}`), afterSignal });
        }
      });
      await vi.waitFor(() => expect(outcomes.length).toBeGreaterThan(200), { timeout: 30_000, interval: 10 });

      child.kill('SIGTERM');
      signalled = true;
      // The balancer's view: readiness fails while the server still answers...
      const notReady = await vi.waitFor(
        async () => {
          const ready = await call(`${url}/ready`);
          expect(ready.status).toBe(503);
          return ready.body;
        },
        { timeout: 4_000, interval: 20 },
      );
      expect(notReady).toMatchObject({ status: 'not ready', database: true, model: { kind: TEST_MODEL } });
      // ...and it keeps taking new connections: 100 more requests sent after the signal (well inside the
      // 8 s delay), then the balancer has dropped the pod and the clients stop.
      const atFlip = outcomes.filter((o) => o.afterSignal).length;
      await vi.waitFor(
        () => expect(outcomes.filter((o) => o.afterSignal).length).toBeGreaterThan(atFlip + 100),
        { timeout: 6_000, interval: 10 },
      );
      sending = false;
      await Promise.all(clients);

      const failed = outcomes.filter((o) => typeof o.result !== 'number' || o.result !== 200);
      expect(failed).toEqual([]);
      expect(outcomes.filter((o) => o.afterSignal).length).toBeGreaterThan(100);
      expect(await exit).toBe(0);
      expect(output).toContain('draining');
      expect(output).toContain('stopped');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
