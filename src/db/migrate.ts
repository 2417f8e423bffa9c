import { randomUUID } from 'node:crypto';
import type { Logger } from '../core/log.js';
import { silentLogger } from '../core/log.js';
import type { Database } from './client.js';
import {
  DEFAULT_MIGRATIONS_DIR,
  MigrationError,
  listMigrations,
  scriptMatchesChecksum,
  type MigrationFile,
} from './migrations.js';
import { quoteIdent, type SqlSession } from './sql.js';

export { MigrationError, migrationChecksum, listMigrations, DEFAULT_MIGRATIONS_DIR } from './migrations.js';

/**
 * Our stand-in for `prisma migrate deploy` where the Prisma CLI cannot fetch its schema engine (no internet).
 * It applies the same folder and writes `_prisma_migrations` rows Prisma cannot tell from its own, so either
 * tool can take over from the other: same table DDL, same advisory lock key, same checksum, same row shape.
 */

/** The advisory lock key Prisma Migrate holds while migrating (prisma-engines, postgres flavour). */
export const PRISMA_MIGRATE_LOCK_KEY = 72707369;

/** Prisma's DDL for its history table on PostgreSQL, verbatim. */
export const PRISMA_MIGRATIONS_TABLE_DDL = `CREATE TABLE _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
);`;

/** A row of `_prisma_migrations`. */
export interface MigrationRecord {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
}

export interface MigrateOptions {
  migrationsDir?: string;
  logger?: Logger;
  /** How long to wait for another migrator's advisory lock before giving up (default 60 s). */
  lockTimeoutMs?: number;
}

export interface MigrateResult {
  /** Migrations this run applied, in order. */
  applied: string[];
  /** Migrations that were already recorded as applied. */
  skipped: string[];
}

/**
 * Applies the migrations not yet recorded in `_prisma_migrations`, each in its own transaction, while holding
 * Prisma's advisory lock (so two pods, or this and `prisma migrate deploy`, never migrate at once). Refuses a
 * history with a failed migration or a migration whose file changed after it was applied.
 * @example const { applied } = await migrate(db); // ['20261125120000_init'] the first time, [] after
 */
export async function migrate(db: Database, options: MigrateOptions = {}): Promise<MigrateResult> {
  const logger = options.logger ?? silentLogger;
  const files = await listMigrations(options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
  return db.session(async (session) => {
    await acquireLock(session, options.lockTimeoutMs ?? 60_000);
    try {
      await session.exec(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(db.schema)}`);
      await ensureMigrationsTable(session, db.schema);
      const records = await readMigrationRecords(session);
      checkHistory(files, records);
      const result: MigrateResult = { applied: [], skipped: [] };
      for (const file of files) {
        if (records.some((r) => r.migration_name === file.name && r.rolled_back_at === null)) {
          result.skipped.push(file.name);
          continue;
        }
        logger.info('applying migration', { migration: file.name });
        await applyMigration(session, file);
        result.applied.push(file.name);
      }
      return result;
    } finally {
      await session.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
    }
  });
}

/**
 * The `_prisma_migrations` rows, oldest first; empty when the table does not exist.
 * @example const rows = await readMigrationRecords(db);
 */
export async function readMigrationRecords(runner: Pick<SqlSession, 'query'>): Promise<MigrationRecord[]> {
  const [exists] = await runner.query<{ ok: boolean }>(
    `SELECT to_regclass('_prisma_migrations') IS NOT NULL AS ok`,
  );
  if (!exists?.ok) return [];
  return runner.query<MigrationRecord & Record<string, unknown>>(
    `SELECT id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count
       FROM _prisma_migrations ORDER BY started_at, migration_name`,
  );
}

async function acquireLock(session: SqlSession, timeoutMs: number): Promise<void> {
  await session.exec(`SET lock_timeout = ${Math.max(1, Math.round(timeoutMs))}`);
  try {
    await session.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
  } catch (error) {
    throw new MigrationError(
      `timed out after ${timeoutMs} ms waiting for the migration lock (pg_advisory_lock(${PRISMA_MIGRATE_LOCK_KEY})): ` +
        `another migrator holds it (${error instanceof Error ? error.message : String(error)})`,
    );
  } finally {
    await session.exec('RESET lock_timeout');
  }
}

async function ensureMigrationsTable(session: SqlSession, schema: string): Promise<void> {
  const [exists] = await session.query<{ ok: boolean }>(
    `SELECT to_regclass('_prisma_migrations') IS NOT NULL AS ok`,
  );
  if (exists?.ok) return;
  // Prisma refuses to start a history in a schema that already holds tables (error P3005): so do we.
  const tables = await session.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname = $1 ORDER BY 1`,
    [schema],
  );
  if (tables.length > 0) {
    throw new MigrationError(
      `schema '${schema}' is not empty (${tables.map((t) => t.name).join(', ')}) and has no _prisma_migrations ` +
        `table: baseline it with 'prisma migrate resolve --applied <migration>' or use an empty schema`,
    );
  }
  await session.exec(PRISMA_MIGRATIONS_TABLE_DDL);
}

function checkHistory(files: MigrationFile[], records: MigrationRecord[]): void {
  const failed = records.filter((r) => r.finished_at === null && r.rolled_back_at === null);
  if (failed.length > 0) {
    const details = failed
      .map(
        (r) =>
          `'${r.migration_name}' started at ${new Date(r.started_at).toISOString()} failed${r.logs ? `: ${r.logs.trim()}` : ''}`,
      )
      .join('; ');
    throw new MigrationError(
      `found failed migrations in the database (${details}); fix the cause, then mark it with ` +
        `'prisma migrate resolve --rolled-back <migration>' and migrate again`,
    );
  }
  for (const file of files) {
    const record = records.find((r) => r.migration_name === file.name && r.rolled_back_at === null);
    if (record && !scriptMatchesChecksum(file.script, record.checksum)) {
      throw new MigrationError(
        `migration '${file.name}' was modified after it was applied (recorded checksum ${record.checksum}, ` +
          `file ${file.checksum}): restore the file and put changes in a new migration`,
      );
    }
  }
}

async function applyMigration(session: SqlSession, file: MigrationFile): Promise<void> {
  const id = randomUUID();
  const startedAt = new Date();
  try {
    // The history row and the script commit together: a migrator killed half-way leaves neither behind.
    await session.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO _prisma_migrations (id, checksum, started_at, migration_name) VALUES ($1, $2, $3, $4)`,
        [id, file.checksum, startedAt, file.name],
      );
      await tx.exec(file.script);
      await tx.query(
        `UPDATE _prisma_migrations SET applied_steps_count = applied_steps_count + 1, finished_at = now() WHERE id = $1`,
        [id],
      );
    });
  } catch (error) {
    // Like Prisma, leave a failed row with the error as logs, so the next run stops until someone resolves it.
    const logs = error instanceof Error ? error.message : String(error);
    await session.query(
      `INSERT INTO _prisma_migrations (id, checksum, started_at, migration_name, logs) VALUES ($1, $2, $3, $4, $5)`,
      [id, file.checksum, startedAt, file.name, logs],
    );
    throw new MigrationError(`migration '${file.name}' failed and was rolled back: ${logs}`);
  }
}
