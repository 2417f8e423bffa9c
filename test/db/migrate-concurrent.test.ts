import { spawn } from 'node:child_process';
import pg from 'pg';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createDatabase } from '../../src/db/client.js';
import { PRISMA_MIGRATE_LOCK_KEY, listMigrations, readMigrationRecords } from '../../src/db/migrate.js';
import { POSTGRES_BASE_URL, dropSchema, postgresUrl, uniqueSchemaName } from './support.js';

interface Exit {
  code: number | null;
  output: string;
}

function runCli(args: string[], env: Record<string, string>): { done: Promise<Exit> } {
  const child = spawn(process.execPath, ['bin/recsys.js', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return { done: new Promise((resolve) => child.on('close', (code) => resolve({ code, output }))) };
}

describe('two `recsys db migrate` processes at once [postgres]', () => {
  const schema = uniqueSchemaName('race');
  afterAll(() => dropSchema(schema));

  it('both exit 0 and each migration is applied exactly once', async () => {
    const appName = `recsys-race-${schema}`;
    // Hold Prisma's migration lock ourselves until both processes are queued on it, so they really race.
    const holder = new pg.Client({ connectionString: POSTGRES_BASE_URL });
    await holder.connect();
    let released = false;
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
      const env = { DATABASE_URL: postgresUrl(schema), PGAPPNAME: appName, LOG_LEVEL: 'info' };
      const runs = [runCli(['db', 'migrate'], env), runCli(['db', 'migrate'], env)];
      // Both migrators wait on the advisory lock.
      await vi.waitFor(
        async () => {
          const [row] = (
            await holder.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
              WHERE l.locktype = 'advisory' AND l.objid = $1 AND NOT l.granted AND a.application_name = $2`,
              [PRISMA_MIGRATE_LOCK_KEY, appName],
            )
          ).rows;
          expect(row?.n ?? 0).toBeGreaterThanOrEqual(2);
        },
        { timeout: 60_000, interval: 100 },
      );
      await holder.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
      released = true;

      const exits = await Promise.all(runs.map((r) => r.done));
      for (const exit of exits) expect(exit, exit.output).toMatchObject({ code: 0 });
      const outputs = exits.map((e) => e.output);
      expect(outputs.filter((o) => /applied \d+ migration/.test(o))).toHaveLength(1);
      expect(outputs.filter((o) => /database schema is up to date/.test(o))).toHaveLength(1);
    } finally {
      if (!released) await holder.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
      await holder.end();
    }

    const db = await createDatabase({ databaseUrl: postgresUrl(schema), pgliteDir: '' });
    try {
      const records = await readMigrationRecords(db);
      const files = await listMigrations();
      expect(records.map((r) => r.migration_name)).toEqual(files.map((f) => f.name));
      expect(records.every((r) => r.finished_at !== null && r.applied_steps_count === 1)).toBe(true);
    } finally {
      await db.close();
    }
  });
});
